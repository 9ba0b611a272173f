import RktCommon

extension ForwardedPort {
    /// Resolves the pod manifest's exposed ports against the apps' named ports. stage0 already
    /// validated that each name matches exactly one app port; here a miss is still an error so a
    /// hand-written manifest cannot silently lose a forward.
    public static func resolve(_ manifest: PodManifest) throws -> [ForwardedPort] {
        try manifest.ports.map { exposed in
            let candidates = manifest.apps.flatMap { $0.app?.ports ?? [] }.filter { $0.name == exposed.name }
            guard let port = exposed.podPort ?? candidates.first else {
                throw RktError("port \"\(exposed.name)\" is not defined by any app of the pod")
            }
            return ForwardedPort(proto: port.protocol, hostIP: exposed.hostIP ?? "0.0.0.0",
                                 hostPort: exposed.hostPort, podPort: port.port)
        }
    }
}
