/// The argv contract between stage0 and the stage1 entrypoints (rkt-architecture.md §3.2–3.3;
/// rkt: stage0/run.go, enter.go, gc.go, stop.go). stage0 builds argv with `argv(...)`; stage1
/// binaries parse it back with `init(parsing:)`. Golden-tested against rkt's argv.

/// DNS configuration modes (`--dns-conf-mode=resolv=…,hosts=…`).
public struct DNSConfMode: Sendable, Equatable {
    public static let resolvValues = ["host", "stage0", "none", "default"]
    public static let hostsValues = ["host", "stage0", "default"]

    public var resolv: String
    public var hosts: String

    public init(resolv: String = "default", hosts: String = "default") {
        self.resolv = resolv
        self.hosts = hosts
    }

    public var isDefault: Bool { resolv == "default" && hosts == "default" }

    /// rkt's pkg/flag PairList (same messages): comma-separated `key=value`, known keys and values only;
    /// keys not given keep their default.
    public init(parsing s: String) throws {
        self.init()
        for pair in s.split(separator: ",", omittingEmptySubsequences: false) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2 else { throw RktError("could not parse key=value pair \(s)") }
            let k = String(kv[0]), v = String(kv[1])
            switch k {
            case "resolv":
                guard DNSConfMode.resolvValues.contains(v) else { throw RktError("key resolv does not allow value \(v)") }
                resolv = v
            case "hosts":
                guard DNSConfMode.hostsValues.contains(v) else { throw RktError("key hosts does not allow value \(v)") }
                hosts = v
            default:
                throw RktError("key \(k) is not allowed")
            }
        }
    }
}

/// Flags of the `coreos.com/rkt/stage1/run` entrypoint.
public struct Stage1RunArgs: Sendable, Equatable {
    public var debug = false
    /// Network list entries, already in rkt's syntax (`default`, `host`, `none`, `name:K=V;K2=V2`).
    public var net: [String] = ["default"]
    public var interactive = false
    /// `<shift>:<count>`; nil when user namespaces are off.
    public var privateUsers: String?
    public var mdsToken: String?
    public var localConfig: String?
    public var hostname: String?
    public var dnsConfMode = DNSConfMode()
    public var disableCapabilities = false
    public var disablePaths = false
    public var disableSeccomp = false
    public var mutable = false
    /// `auto`, `private` or `parent`; nil when not given.
    public var ipc: String?
    public var uuid: String

    public init(uuid: String) {
        self.uuid = uuid
    }

    /// Flags the fly stage1 does not declare; Go's flag package rejects them.
    public static let flyUndeclared = ["private-users", "mutable", "ipc"]

    /// The run entrypoint's flags, minus `undeclared`, with rkt's help texts and defaults.
    public static func flagSet(undeclared: [String] = []) -> GoFlagSet {
        var fs = GoFlagSet("run")
        let bools: [(String, String)] = [
            ("debug", "Run in debug mode"), ("interactive", "The pod is interactive"),
            ("disable-capabilities-restriction", "Disable capability restrictions"),
            ("disable-paths", "Disable paths restrictions"), ("disable-seccomp", "Disable seccomp restrictions"),
            ("mutable", "Enable mutable operations on this pod, including starting an empty one"),
        ]
        let strings: [(String, String, String)] = [
            ("net", "default", "Setup networking"),
            ("private-users", "", "Run within user namespace. Can be set to [=UIDBASE[:NUIDS]]"),
            ("mds-token", "", "MDS auth token"), ("local-config", "/etc/rkt", "Local config path"),
            ("hostname", "", "Hostname of the pod"), ("dns-conf-mode", "", "DNS config file modes"),
            ("ipc", "", "IPC namespace mode (auto, private, parent)"),
        ]
        for (name, usage) in bools where !undeclared.contains(name) { fs.bool(name, usage: usage) }
        for (name, def, usage) in strings where !undeclared.contains(name) { fs.string(name, default: def, usage: usage) }
        return fs
    }

    /// Parses a run entrypoint argv (without argv[0]). `undeclared` names flags this stage1 does
    /// not define (fly: `flyUndeclared`), which then fail like any unknown flag (exit 2).
    public init(parsing args: [String], undeclared: [String] = []) throws {
        let declared = Stage1RunArgs.flagSet(undeclared: undeclared)
        // Only declared flags are defined, so undeclared ones fail exactly like Go's flag package.
        let f = try declared.parse(args)
        self.init(uuid: f.arguments.first ?? "")
        debug = f.bool("debug")
        if f.isSet("net") {
            net = f.string("net").split(separator: ",").map(String.init)
        }
        interactive = f.bool("interactive")
        privateUsers = f.isSet("private-users") ? f.string("private-users") : nil
        mdsToken = f.isSet("mds-token") ? f.string("mds-token") : nil
        localConfig = f.isSet("local-config") ? f.string("local-config") : nil
        hostname = f.isSet("hostname") ? f.string("hostname") : nil
        if f.isSet("dns-conf-mode") {
            let v = f.string("dns-conf-mode")
            do {
                dnsConfMode = try DNSConfMode(parsing: v)
            } catch let e as RktError {
                throw declared.invalidValue("dns-conf-mode", v, e.message)
            }
        }
        disableCapabilities = f.bool("disable-capabilities-restriction")
        disablePaths = f.bool("disable-paths")
        disableSeccomp = f.bool("disable-seccomp")
        mutable = f.bool("mutable")
        if f.isSet("ipc") {
            let v = f.string("ipc")
            guard ["auto", "private", "parent"].contains(v) else {
                throw declared.invalidValue("ipc", v, "unknown ipc mode")
            }
            ipc = v
        }
    }

    /// The argv after argv[0], exactly as rkt's stage0 builds it for a stage1 of
    /// `interfaceVersion`, plus the warnings stage0 prints for flags it had to drop.
    public func argv(interfaceVersion: Int) -> (args: [String], warnings: [String]) {
        var a: [String] = []
        var warnings: [String] = []
        if debug { a.append("--debug") }
        a.append("--net=" + (net.isEmpty ? "default" : net.joined(separator: ",")))
        if interactive { a.append("--interactive") }
        if let privateUsers, !privateUsers.isEmpty { a.append("--private-users=" + privateUsers) }
        if let mdsToken { a.append("--mds-token=" + mdsToken) }
        if let localConfig, !localConfig.isEmpty { a.append("--local-config=" + localConfig) }
        if let hostname, !hostname.isEmpty {
            if interfaceVersion > 1 {
                a.append("--hostname=" + hostname)
            } else {
                warnings.append("warning: --hostname option is not supported by stage1")
            }
        }
        if !dnsConfMode.isDefault {
            if interfaceVersion > 3 {
                a.append("--dns-conf-mode=resolv=\(dnsConfMode.resolv),hosts=\(dnsConfMode.hosts)")
            } else {
                warnings.append("warning: --dns-conf-mode option not supported by stage1")
            }
        }
        // Unsupported insecure options are dropped silently, as rkt does.
        if interfaceVersion > 2 {
            if disableCapabilities { a.append("--disable-capabilities-restriction") }
            if disablePaths { a.append("--disable-paths") }
            if disableSeccomp { a.append("--disable-seccomp") }
        }
        if mutable { a.append("--mutable") }
        if let ipc, !ipc.isEmpty {
            if interfaceVersion >= 6 {
                a.append("--ipc=" + ipc)
            } else {
                warnings.append("warning: --ipc option is not supported by stage1")
            }
        }
        a.append(uuid)
        return (a, warnings)
    }
}

/// Flags of the `enter` entrypoint: `--pid=<pid> --appname=<app> -- cmd args…`.
public struct Stage1EnterArgs: Sendable, Equatable {
    public var debug = false
    public var pid: String
    public var appName: String
    public var command: [String]

    public init(pid: String, appName: String, command: [String]) {
        self.pid = pid
        self.appName = appName
        self.command = command
    }

    public init(parsing args: [String]) throws {
        var fs = GoFlagSet("enter")
        fs.bool("debug", usage: "Run in debug mode")
        fs.string("pid", usage: "Pod PID")
        fs.string("appname", usage: "Application")
        let f = try fs.parse(args)
        self.init(pid: f.string("pid"), appName: f.string("appname"), command: f.arguments)
        debug = f.bool("debug")
    }

    /// rkt's stage0 never passes `--debug` to enter.
    public func argv() -> [String] {
        ["--pid=\(pid)", "--appname=\(appName)", "--"] + command
    }
}

/// Flags of the `gc` entrypoint.
public struct Stage1GCArgs: Sendable, Equatable {
    public var debug = false
    public var localConfig: String?
    public var uuid: String

    public init(uuid: String, debug: Bool = false, localConfig: String? = nil) {
        self.uuid = uuid
        self.debug = debug
        self.localConfig = localConfig
    }

    public init(parsing args: [String]) throws {
        var fs = GoFlagSet("gc")
        fs.bool("debug", usage: "Run in debug mode")
        fs.string("local-config", default: "/etc/rkt", usage: "Local config path")
        let f = try fs.parse(args)
        self.init(uuid: f.arguments.first ?? "", debug: f.bool("debug"),
                  localConfig: f.isSet("local-config") ? f.string("local-config") : nil)
    }

    /// `--local-config` only reaches stage1s of interface version 5 or later.
    public func argv(interfaceVersion: Int) -> [String] {
        var a: [String] = []
        if debug { a.append("--debug") }
        if let localConfig, interfaceVersion >= 5 { a += ["--local-config", localConfig] }
        a.append(uuid)
        return a
    }
}

/// Flags of the `stop` entrypoint.
public struct Stage1StopArgs: Sendable, Equatable {
    public var force = false
    public var uuid: String

    public init(uuid: String, force: Bool = false) {
        self.uuid = uuid
        self.force = force
    }

    public init(parsing args: [String]) throws {
        var fs = GoFlagSet("stop")
        fs.bool("force", usage: "Forced stopping")
        let f = try fs.parse(args)
        self.init(uuid: f.arguments.first ?? "", force: f.bool("force"))
    }

    public func argv() -> [String] {
        (force ? ["--force"] : []) + [uuid]
    }
}
