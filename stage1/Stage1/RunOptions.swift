import RktCommon

/// The `run` entrypoint's flags (rkt-architecture.md §3.2), also the plan handed to pod-init.
public struct RunOptions: Sendable, Equatable {
    public var uuid = ""
    public var debug = false
    public var net = ["default"]
    public var interactive = false
    public var privateUsers: String?
    public var mdsToken: String?
    public var localConfig: String?
    public var hostname: String?
    public var resolvMode = "default"
    public var hostsMode = "default"
    public var disableCapabilities = false
    public var disablePaths = false
    public var disableSeccomp = false
    public var mutable = false
    public var ipc = "auto"

    public init() {}

    /// Parses the run entrypoint argv with the shared Go-flag parser (`Stage1RunArgs`).
    public static func parse(_ args: [String]) throws -> RunOptions {
        let a = try Stage1RunArgs(parsing: args)
        var o = RunOptions()
        guard !a.uuid.isEmpty else { throw RktError("uuid is missing", exitCode: ExitCode.usage) }
        o.uuid = a.uuid
        o.debug = a.debug
        o.net = a.net.isEmpty ? ["default"] : a.net
        o.interactive = a.interactive
        o.privateUsers = a.privateUsers
        o.mdsToken = a.mdsToken
        o.localConfig = a.localConfig
        o.hostname = a.hostname
        o.resolvMode = a.dnsConfMode.resolv
        o.hostsMode = a.dnsConfMode.hosts
        o.disableCapabilities = a.disableCapabilities
        o.disablePaths = a.disablePaths
        o.disableSeccomp = a.disableSeccomp
        o.mutable = a.mutable
        o.ipc = a.ipc ?? "auto"
        return o
    }

    /// argv that reproduces these options (for pod-init, which parses them again).
    public var arguments: [String] {
        var a = ["--debug=\(debug)", "--net=\(net.joined(separator: ","))", "--interactive=\(interactive)"]
        if let privateUsers { a.append("--private-users=\(privateUsers)") }
        if let mdsToken { a.append("--mds-token=\(mdsToken)") }
        if let localConfig { a.append("--local-config=\(localConfig)") }
        if let hostname { a.append("--hostname=\(hostname)") }
        a.append("--dns-conf-mode=resolv=\(resolvMode),hosts=\(hostsMode)")
        a += ["--disable-capabilities-restriction=\(disableCapabilities)", "--disable-paths=\(disablePaths)",
              "--disable-seccomp=\(disableSeccomp)", "--mutable=\(mutable)", "--ipc=\(ipc)", uuid]
        return a
    }

    /// The pod hostname: `--hostname`, or `rkt-<uuid>`.
    public var podHostname: String { hostname ?? "rkt-\(uuid)" }

    /// `runtime-config` JSON (read back by later entrypoints).
    public var runtimeConfigJSON: String {
        func q(_ s: String) -> String {
            var out = "\""
            for c in s.unicodeScalars {
                switch c {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                default: if c.value < 0x20 { out += "\\u00" + (c.value < 0x10 ? "0" : "") + String(c.value, radix: 16) } else { out.unicodeScalars.append(c) }
                }
            }
            return out + "\""
        }
        let nets = net.map(q).joined(separator: ",")
        return "{\"netList\":[\(nets)],\"mdsToken\":\(q(mdsToken ?? "")),\"hostname\":\(q(podHostname)),"
            + "\"insecureCapabilities\":\(disableCapabilities),\"insecurePaths\":\(disablePaths),"
            + "\"insecureSeccomp\":\(disableSeccomp),\"resolvConfMode\":\(q(resolvMode)),"
            + "\"etcHostsMode\":\(q(hostsMode)),\"privateUsers\":\(q(privateUsers ?? "")),"
            + "\"ipcMode\":\(q(ipc)),\"interactive\":\(interactive),\"mutable\":\(mutable),\"debug\":\(debug)}\n"
    }
}
