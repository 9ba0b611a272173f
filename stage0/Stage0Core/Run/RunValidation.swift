#if canImport(Glibc)
import Glibc
#endif
import RktCommon

/// The checks rkt makes on the flags before it opens the store or creates a pod
/// (rkt: rkt/run.go, rkt/prepare.go, rkt/run_prepared.go). Each failure is a one-line message and
/// exit status 254; nothing on disk has been touched yet.
extension RunOptions {
    public static let pullPolicies = ["new", "update", "never"]

    /// Validates and normalises (`--store-only`/`--no-store` become pull policies). Returns the
    /// decoded DNS settings so the run path does not parse them twice.
    @discardableResult
    public mutating func validate(for command: RunCommandKind) throws -> PodDNS {
        func fail(_ m: String) -> RktError { RktError(m) }
        if storeOnly && noStore { throw fail("both --store-only and --no-store specified") }
        if storeOnly { pullPolicy = "never" }
        if noStore { pullPolicy = "update" }
        guard Self.pullPolicies.contains(pullPolicy) else {
            throw fail("invalid pull policy \"\(pullPolicy)\": must be one of new, update, never")
        }
        if privateUsers && access("/proc/self/uid_map", F_OK) != 0 {
            throw fail("--private-users is not supported, kernel compiled without user namespace support")
        }
        if !ports.isEmpty && netNone { throw fail("--port flag does not work with 'none' networking") }
        if !ports.isEmpty && netHost { throw fail("--port flag does not work with 'host' networking") }
        if mdsRegister && netNone {
            throw fail("--mds-register flag does not work with --net=none. Please use 'host', 'default' or an equivalent network")
        }
        if command != .runPrepared, podManifest.map({ !$0.isEmpty }) ?? false {
            let conflicting = !apps.isEmpty || !volumes.isEmpty || !podMounts.isEmpty || !ports.isEmpty
                || pullPolicy == "never" || pullPolicy == "update" || inheritEnv || !setEnv.isEmpty
                || !envFromFile.isEmpty
            if conflicting { throw fail("conflicting flags set with --pod-manifest (see --help)") }
        }
        if interactive && apps.count > 1 { throw fail("interactive option only supports one image") }
        switch command {
        case .run, .prepare:
            if apps.isEmpty && (podManifest ?? "").isEmpty {
                throw fail("must provide at least one image or specify the pod manifest")
            }
            try validateAppsAndVolumes()
        case .runPrepared:
            guard let u = uuid, !u.isEmpty else { throw fail("UUID cannot be empty") }
        }
        return try PodDNS(options: self)
    }

    /// Cross-flag checks on apps: names, mounts naming declared volumes, duplicate volumes.
    func validateAppsAndVolumes() throws {
        var seenVolumes: Set<String> = []
        for v in volumes {
            guard seenVolumes.insert(v.name).inserted else {
                throw RktError("duplicate volume name \"\(v.name)\"")
            }
        }
        for m in podMounts + apps.flatMap(\.mounts) {
            guard !m.volume.isEmpty else { throw RktError("--mount needs a volume= parameter") }
            guard !m.target.isEmpty else { throw RktError("--mount of volume \"\(m.volume)\" needs a target= parameter") }
            guard seenVolumes.contains(m.volume) else {
                throw RktError("no volume named \"\(m.volume)\" for mount target \"\(m.target)\" (see --volume)")
            }
        }
        var names: Set<String> = []
        for app in apps {
            if app.capsRetain != nil && app.capsRemove != nil {
                throw RktError("error: cannot use both --caps-retain and --caps-remove on the same image")
            }
            guard let n = app.name else { continue }
            guard RunFlagValues.isACName(n) else {
                throw RktError("invalid app name \"\(n)\": ACName must contain only lower case alphanumeric characters plus \"-\"")
            }
            guard names.insert(n).inserted else { throw RktError("error: multiple apps with name \(n)") }
        }
    }
}
