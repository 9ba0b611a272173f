import RktCommon

/// Which subcommand's flag set is in force: `prepare` lacks the runtime-only flags, and
/// `run-prepared` has only those.
public enum RunCommandKind: Sendable {
    case run, prepare, runPrepared

    /// The command as typed.
    public var name: String {
        switch self {
        case .run: "run"
        case .prepare: "prepare"
        case .runPrepared: "run-prepared"
        }
    }
}

/// The positional grammar of `rkt run`/`prepare` (rkt: rkt/cli_apps.go `parseApps`).
///
/// ArgumentParser hands us the raw argv (`captureForPassthrough`); we parse it the way cobra/pflag
/// did with `SetInterspersed(false)` plus `parseApps`: every non-flag word starts a new app,
/// per-app flags apply to the app before them, `--` starts that app's arguments and a lone `---`
/// ends them. Pod-level flags are accepted anywhere outside an argument block.
public struct RunArgParser {
    enum Kind { case bool, value, optionalValue(String) }
    enum Scope { case pod, app, global }

    struct Flag {
        let kind: Kind
        let scope: Scope
        let commands: Cmds
    }
    /// The subcommands a flag belongs to. A bit set rather than `Set<…>`: the first use of a
    /// generic set type costs rkt's start-up a metadata instantiation and a conformance scan.
    struct Cmds: OptionSet {
        let rawValue: UInt8
        static let run = Cmds(rawValue: 1)
        static let prepare = Cmds(rawValue: 2)
        static let runPrepared = Cmds(rawValue: 4)
    }

    public let command: RunCommandKind
    public init(command: RunCommandKind) { self.command = command }

    private var cmd: Cmds {
        switch command {
        case .run: return .run
        case .prepare: return .prepare
        case .runPrepared: return .runPrepared
        }
    }

    static let all: Cmds = [.run, .prepare, .runPrepared]
    static let build: Cmds = [.run, .prepare]
    static let runtime: Cmds = [.run, .runPrepared]

    /// The flag called `name`, if the command family knows it. A switch rather than a dictionary
    /// built on first use: building that table cost every `rkt run` ~0.15 ms of generic metadata
    /// instantiation before the first flag was read.
    static func flag(_ name: String) -> Flag? {
        switch name {
        // Global (persistent) flags: cobra accepts them after the subcommand name too.
        case "dir", "system-config", "local-config", "user-config", "insecure-options", "cpuprofile", "memprofile":
            return Flag(kind: .value, scope: .global, commands: all)
        case "debug", "trust-keys-from-https":
            return Flag(kind: .bool, scope: .global, commands: all)
        // Pod-level flags shared by run and prepare.
        case "volume", "port", "set-env", "set-env-file", "pull-policy", "pod-manifest",
             "stage1-path", "stage1-url", "stage1-name", "stage1-hash", "stage1-from-dir":
            return Flag(kind: .value, scope: .pod, commands: build)
        case "inherit-env", "no-overlay", "private-users", "store-only", "no-store":
            return Flag(kind: .bool, scope: .pod, commands: build)
        case "uuid-file-save": return Flag(kind: .value, scope: .pod, commands: .run)
        case "quiet": return Flag(kind: .bool, scope: .pod, commands: .prepare)
        // Runtime-only flags: run and run-prepared.
        case "net": return Flag(kind: .optionalValue("default"), scope: .pod, commands: runtime)
        case "dns", "dns-search", "dns-opt", "dns-domain", "hosts-entry", "hostname", "ipc":
            return Flag(kind: .value, scope: .pod, commands: runtime)
        case "interactive", "mds-register":
            return Flag(kind: .bool, scope: .pod, commands: runtime)
        // Per-app flags (the preceding image).
        case "signature", "exec", "working-dir", "mount", "user", "group", "supplementary-gids", "name",
             "user-annotation", "user-label", "annotation", "environment", "stdin", "stdout", "stderr",
             "memory", "cpu", "cpu-shares", "caps-retain", "caps-remove", "cap-retain", "cap-remove",
             "seccomp", "oom-score-adj", "oom-score-adjust":
            return Flag(kind: .value, scope: .app, commands: build)
        case "readonly-rootfs": return Flag(kind: .bool, scope: .app, commands: build)
        default: return nil
        }
    }

    /// Parses `args` (everything after the subcommand name). Throws `RktError` with rkt's wording.
    public func parse(_ args: [String]) throws -> RunOptions {
        var opts = RunOptions()
        var state = ParseState()
        var i = 0
        while i < args.count {
            let a = args[i]
            i += 1
            if state.inAppArgs {
                if a == "---" {
                    state.inAppArgs = false
                } else {
                    opts.apps[opts.apps.count - 1].args.append(a)
                }
                continue
            }
            switch a {
            case "--":
                guard command != .runPrepared else { throw parseError("app arguments unsupported") }
                if state.appsWithArgs == opts.apps.count {
                    if opts.apps.isEmpty { throw parseError("an image is required before any app arguments") }
                    throw parseError("only one set of app arguments allowed per image")
                }
                state.appsWithArgs = opts.apps.count
                state.inAppArgs = true
            case "---":
                // A stray terminator outside an argument block is ignored, as rkt does.
                continue
            default:
                if a.hasPrefix("--") {
                    let body = a.dropFirst(2)
                    let name: String
                    var value: String?
                    if let eq = body.firstIndex(of: "=") {
                        name = String(body[..<eq])
                        value = String(body[body.index(after: eq)...])
                    } else {
                        name = String(body)
                    }
                    guard let flag = Self.flag(name), flag.commands.contains(cmd) else {
                        throw parseError("unknown flag: --\(name)")
                    }
                    switch flag.kind {
                    case .bool:
                        break
                    case .optionalValue(let def):
                        if value == nil { value = def }
                    case .value:
                        if value == nil {
                            guard i < args.count else { throw parseError("flag needs an argument: --\(name)") }
                            value = args[i]
                            i += 1
                        }
                    }
                    try apply(name: name, flag: flag, raw: value, to: &opts)
                } else if a.hasPrefix("-") && a.count > 1 {
                    let short = a.dropFirst().first.map(String.init) ?? ""
                    throw parseError("unknown shorthand flag: '\(short)' in \(a)")
                } else if command == .runPrepared {
                    guard opts.uuid == nil else { throw parseError("only one pod UUID may be given") }
                    opts.uuid = a
                } else {
                    opts.apps.append(CLIApp(image: a))
                }
            }
        }
        return opts
    }

    struct ParseState {
        var inAppArgs = false
        /// App count when the last `--` block began (rkt's `nAppsLastAppArgs`).
        var appsWithArgs = 0
    }

    func parseError(_ message: String) -> RktError {
        RktError("error parsing app image arguments", causes: [message])
    }

    /// pflag's wording for a value its `Set` rejected.
    static func invalid(_ raw: String, _ name: String, _ why: String) -> RktError {
        RktError("error parsing app image arguments",
                 causes: ["invalid argument \"\(raw)\" for \"--\(name)\" flag: \(why)"])
    }

    /// Runs a value parser, turning its complaint into pflag's `invalid argument` wording.
    static func checked<T>(_ name: String, _ raw: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as RunFlagValues.ValueError {
            throw invalid(raw, name, e.message)
        }
    }

    /// Go's boolean flag: bare means true, `=value` goes through strconv.ParseBool.
    static func boolValue(_ name: String, _ raw: String?) throws -> Bool {
        guard let raw else { return true }
        guard let b = RunFlagValues.parseBool(raw) else {
            throw invalid(raw, name, "strconv.ParseBool: parsing \"\(raw)\": invalid syntax")
        }
        return b
    }

    private func apply(name: String, flag: Flag, raw: String?, to opts: inout RunOptions) throws {
        let v = raw ?? ""
        switch flag.scope {
        case .global:
            opts.globalArgs.append(raw.map { "--\(name)=\($0)" } ?? "--\(name)")
        case .app:
            if name == "mount" {
                let m = try Self.checked(name, v) { try RunFlagValues.mount(v) }
                if opts.apps.isEmpty { opts.podMounts.append(m) } else { opts.apps[opts.apps.count - 1].mounts.append(m) }
                return
            }
            guard !opts.apps.isEmpty else {
                // rkt's --caps-remove reports itself as --caps-retain; keep the wording.
                let shown = name == "caps-remove" ? "caps-retain" : name
                throw Self.invalid(v, name, "--\(shown) must follow an image")
            }
            try applyApp(name: name, raw: raw, to: &opts.apps[opts.apps.count - 1])
        case .pod:
            try applyPod(name: name, raw: raw, to: &opts)
        }
    }

    private func applyApp(name: String, raw: String?, to app: inout CLIApp) throws {
        let v = raw ?? ""
        func bool() throws -> Bool { try Self.boolValue(name, raw) }
        func wrap<T>(_ body: () throws -> T) throws -> T { try Self.checked(name, v, body) }
        func kv() throws -> KeyValue {
            guard let p = RunFlagValues.splitKV(v) else {
                throw Self.invalid(v, name, "invalid format of --\(name) flag \"\(v)\"")
            }
            return p
        }
        switch name {
        case "signature":
            if app.signature != nil { throw Self.invalid(v, name, "--signature specified multiple times for the same image") }
            app.signature = v
        case "exec":
            if app.exec != nil { throw Self.invalid(v, name, "--exec specified multiple times for the same image") }
            app.exec = v
        case "working-dir": app.workingDir = v
        case "readonly-rootfs": app.readOnlyRootFS = try bool()
        case "user": app.user = v
        case "group": app.group = v
        case "name": app.name = v
        case "supplementary-gids":
            app.supplementaryGIDs = try wrap { try RunFlagValues.gids(v) }
        case "user-annotation": app.userAnnotations.append(try kv())
        case "user-label": app.userLabels.append(try kv())
        case "annotation": app.annotations.append(try kv())
        case "environment":
            guard let p = RunFlagValues.splitKV(v) else {
                throw Self.invalid(v, name, "environment variable must be specified as name=value")
            }
            app.environment.removeAll { $0.name == p.name }
            app.environment.append(p)
        case "stdin": app.stdin = try wrap { try RunFlagValues.stdioMode(v, input: true) }
        case "stdout": app.stdout = try wrap { try RunFlagValues.stdioMode(v, input: false) }
        case "stderr": app.stderr = try wrap { try RunFlagValues.stdioMode(v, input: false) }
        case "memory":
            _ = try wrap { try RunFlagValues.memory(v) }
            app.memory = v
        case "cpu":
            _ = try wrap { try RunFlagValues.cpu(v) }
            app.cpu = v
        case "cpu-shares": app.cpuShares = try wrap { try RunFlagValues.cpuShares(v) }
        case "caps-retain", "cap-retain": app.capsRetain = try wrap { try RunFlagValues.capabilities(v) }
        case "caps-remove", "cap-remove": app.capsRemove = try wrap { try RunFlagValues.capabilities(v) }
        case "seccomp":
            _ = try wrap { try SeccompOverride(parsing: v) }
            app.seccomp = v
        // rkt spells it --oom-score-adj; --oom-score-adjust (systemd's OOMScoreAdjust) is accepted too.
        case "oom-score-adj", "oom-score-adjust": app.oomScoreAdj = try wrap { try RunFlagValues.oomScoreAdj(v) }
        default:
            throw parseError("unknown flag: --\(name)")
        }
    }

    private func applyPod(name: String, raw: String?, to opts: inout RunOptions) throws {
        let v = raw ?? ""
        func bool() throws -> Bool { try Self.boolValue(name, raw) }
        func wrap<T>(_ body: () throws -> T) throws -> T { try Self.checked(name, v, body) }
        switch name {
        case "volume":
            opts.volumes.append(try wrap { try RunFlagValues.volume(v) })
        case "port":
            opts.ports.append(try wrap { try RunFlagValues.port(v) })
        case "net":
            let entries = try wrap { try RunFlagValues.net(v, existing: opts.net) }
            opts.net.append(contentsOf: entries)
        case "dns": opts.dns.append(v)
        case "dns-search": opts.dnsSearch.append(v)
        case "dns-opt": opts.dnsOpt.append(v)
        case "dns-domain": opts.dnsDomain = v
        case "hosts-entry": opts.hostsEntries.append(v)
        case "hostname": opts.hostname = v
        case "ipc":
            guard ["auto", "private", "parent"].contains(v) else {
                throw Self.invalid(v, name, "invalid ipc mode \"\(v)\", must be one of auto, private, parent")
            }
            opts.ipc = v
        case "inherit-env": opts.inheritEnv = try bool()
        case "set-env":
            guard let p = RunFlagValues.splitKV(v) else { throw Self.invalid(v, name, "must be specified as key=value") }
            if opts.setEnv.contains(where: { $0.name == p.name }) {
                throw Self.invalid(v, name, "key \"\(p.name)\" already set")
            }
            opts.setEnv.append(p)
        case "set-env-file":
            let vars = try wrap { try RunFlagValues.envFile(v, existing: opts.envFromFile) }
            opts.envFromFile.append(contentsOf: vars)
        case "interactive": opts.interactive = try bool()
        case "mds-register": opts.mdsRegister = try bool()
        case "no-overlay": opts.noOverlay = try bool()
        case "private-users": opts.privateUsers = try bool()
        case "store-only": opts.storeOnly = try bool()
        case "no-store": opts.noStore = try bool()
        case "quiet": opts.quiet = try bool()
        case "pull-policy":
            opts.pullPolicy = v
            opts.pullPolicyGiven = true
        case "pod-manifest": opts.podManifest = v
        case "uuid-file-save": opts.uuidFileSave = v
        case "stage1-path", "stage1-url", "stage1-name", "stage1-hash", "stage1-from-dir":
            let choice: Stage1Choice
            switch name {
            case "stage1-path": choice = .path(v)
            case "stage1-url": choice = .url(v)
            case "stage1-name": choice = .name(v)
            case "stage1-hash": choice = .hash(v)
            default: choice = .fromDir(v)
            }
            if let current = opts.stage1 {
                if current.flagName == name { throw Self.invalid(v, name, "--\(name) already used") }
                throw Self.invalid(v, name, "flags --\(name) and --\(current.flagName) are mutually exclusive")
            }
            opts.stage1 = choice
        default:
            throw parseError("unknown flag: --\(name)")
        }
    }
}
