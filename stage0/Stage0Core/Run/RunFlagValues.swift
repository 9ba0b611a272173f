#if canImport(Glibc)
import Glibc
#endif
import RktCommon
import RktOS

/// Parsers for the values of `run`/`prepare` flags, each the Swift side of a pflag `Value.Set` in
/// rkt (rkt/cli_apps.go, rkt/run.go) or of the appc type it builds. They run while the command
/// line is read, so a bad value fails before anything is created.
public enum RunFlagValues {
    /// What a `Set` rejected; the parser wraps it as `invalid argument "v" for "--flag" flag: …`.
    public struct ValueError: Error, Sendable {
        public let message: String
        public init(_ message: String) { self.message = message }
    }

    /// Go's `strconv.ParseBool`.
    public static func parseBool(_ s: String) -> Bool? {
        switch s {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: return nil
        }
    }

    /// `K=V` split at the first `=`; nil without one.
    public static func splitKV(_ s: String) -> KeyValue? {
        guard let eq = s.firstIndex(of: "=") else { return nil }
        return KeyValue(String(s[..<eq]), String(s[s.index(after: eq)...]))
    }

    /// Comma-separated `key=value` parameters (appc's `url.ParseQuery` on `,`→`&`), keeping order.
    /// A key given twice is an error, as in appc.
    static func params(_ s: String) throws -> [KeyValue] {
        var out: [KeyValue] = []
        for part in s.split(separator: ",", omittingEmptySubsequences: true) {
            let kv = splitKV(String(part)) ?? KeyValue(String(part), "")
            if let prev = out.first(where: { $0.name == kv.name }) {
                throw ValueError("label \(kv.name) with multiple values [\"\(prev.value)\" \"\(kv.value)\"]")
            }
            out.append(kv)
        }
        return out
    }

    /// An appc ACName: lower-case alphanumerics and `-`, starting and ending alphanumeric.
    public static func isACName(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, let l = s.unicodeScalars.last else { return false }
        func alnum(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("0"..."9").contains(c) }
        return alnum(f) && alnum(l) && s.unicodeScalars.allSatisfy { alnum($0) || $0 == "-" }
    }

    /// `--mount volume=NAME,target=PATH`.
    public static func mount(_ s: String) throws -> MountSpec {
        var m = MountSpec(volume: "", target: "")
        for kv in try params(s) {
            switch kv.name {
            case "volume":
                guard isACName(kv.value) else {
                    throw ValueError("invalid volume name \"\(kv.value)\" in --mount flag \"\(s)\": ACName must contain only lower case alphanumeric characters plus \"-\"")
                }
                m.volume = kv.value
            case "target": m.target = kv.value
            default: throw ValueError("unknown mount parameter \"\(kv.name)\"")
            }
        }
        return m
    }

    /// `--volume NAME,kind=host|empty,…` (appc `types.VolumeFromString`, defaults and validation).
    public static func volume(_ s: String) throws -> VolumeSpec {
        let head = s.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(head[0])
        guard isACName(name) else {
            throw ValueError("invalid volume name \"\(name)\": ACName must contain only lower case alphanumeric characters plus \"-\"")
        }
        var kind = ""
        var source: String?
        var readOnly: Bool?
        var recursive: Bool?
        var mode: String?
        var uid: Int?
        var gid: Int?
        for kv in try params(head.count > 1 ? String(head[1]) : "") {
            switch kv.name {
            case "kind": kind = kv.value
            case "source": source = kv.value
            case "readOnly":
                guard let b = parseBool(kv.value) else { throw ValueError("strconv.ParseBool: parsing \"\(kv.value)\": invalid syntax") }
                readOnly = b
            case "recursive":
                guard let b = parseBool(kv.value) else { throw ValueError("strconv.ParseBool: parsing \"\(kv.value)\": invalid syntax") }
                recursive = b
            case "mode": mode = kv.value
            case "uid":
                guard let n = Int(kv.value) else { throw ValueError("strconv.Atoi: parsing \"\(kv.value)\": invalid syntax") }
                uid = n
            case "gid":
                guard let n = Int(kv.value) else { throw ValueError("strconv.Atoi: parsing \"\(kv.value)\": invalid syntax") }
                gid = n
            default:
                throw ValueError("unknown volume parameter \"\(kv.name)\"")
            }
        }
        switch kind {
        case "host":
            guard let src = source, !src.isEmpty else { throw ValueError("source for host volume cannot be empty") }
            guard src.hasPrefix("/") else { throw ValueError("source for host volume must be absolute path") }
            var v = VolumeSpec(name: name, kind: .host)
            v.source = src
            v.readOnly = readOnly
            v.recursive = recursive
            return v
        case "empty":
            if let src = source, !src.isEmpty { throw ValueError("source for empty volume must be empty") }
            var v = VolumeSpec(name: name, kind: .empty)
            let m = mode ?? "0755"
            guard UInt32(m, radix: 8) != nil else { throw ValueError("invalid mode \"\(m)\" for empty volume") }
            v.mode = m
            v.uid = uid ?? 0
            v.gid = gid ?? 0
            v.readOnly = readOnly
            v.recursive = recursive
            return v
        default:
            throw ValueError("unrecognized volume type: \"\(kind)\"")
        }
    }

    /// `--port NAME:[HOSTIP:]HOSTPORT`.
    public static func port(_ s: String) throws -> PortSpec {
        let parts = s.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2 else { throw ValueError("\"\(s)\" is not in name:[ip:]port format") }
        guard isACName(parts[0]) else { throw ValueError("\"\(parts[0])\" is not a valid port name") }
        var ip: String?
        var portStr = parts[1]
        if parts.count == 3 {
            guard isIP(parts[1]) else { throw ValueError("\"\(parts[1])\" is not a valid IP") }
            ip = parts[1]
            portStr = parts[2]
        }
        guard let port = UInt16(portStr) else { throw ValueError("\"\(parts[1])\" is not a valid port number") }
        return PortSpec(name: parts[0], hostIP: ip, hostPort: port)
    }

    /// IPv4 or IPv6 literal, as Go's `net.ParseIP` accepts.
    public static func isIP(_ s: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, s, &v4) == 1 || inet_pton(AF_INET6, s, &v6) == 1
    }

    /// `--net[=n[:args],…]`: network names with optional CNI_ARGS. A network named twice, or
    /// `host`/`none` together with anything else, is refused here rather than failing in stage1.
    public static func net(_ s: String, existing: [NetEntry]) throws -> [NetEntry] {
        var all = existing
        var added: [NetEntry] = []
        for item in s.split(separator: ",", omittingEmptySubsequences: false) {
            let pair = item.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0])
            guard !name.isEmpty else { throw ValueError("net \"\(item)\" doesn't have a name") }
            if all.contains(where: { $0.name == name }) {
                throw ValueError("network \"\(name)\" specified more than once")
            }
            let entry = NetEntry(name: name, args: pair.count > 1 ? String(pair[1]) : nil)
            all.append(entry)
            added.append(entry)
        }
        for special in ["host", "none"] where all.contains(where: { $0.name == special }) && all.count > 1 {
            throw ValueError("--net=\(special) cannot be combined with other networks")
        }
        return added
    }

    /// `--supplementary-gids=1024,2048`.
    public static func gids(_ s: String) throws -> [Int] {
        try s.split(separator: ",", omittingEmptySubsequences: false).map {
            guard let n = Int($0), n >= 0 else { throw ValueError("strconv.Atoi: parsing \"\($0)\": invalid syntax") }
            return n
        }
    }

    /// `--stdin` / `--stdout` / `--stderr` modes (rkt-architecture.md §9).
    public static func stdioMode(_ s: String, input: Bool) throws -> String {
        let valid = input ? ["null", "tty", "stream", "interactive"] : ["log", "null", "tty", "stream", "interactive"]
        guard valid.contains(s) else {
            throw ValueError("unknown \(input ? "stdin" : "output") mode \"\(s)\", valid modes are: \(valid.joined(separator: ", "))")
        }
        return s
    }

    /// `--memory`: a resource quantity of at least 4Ki. rkt refuses smaller values because they are
    /// almost always a unit mistake (`16m` is 16 milli-bytes, not 16 megabytes).
    public static func memory(_ s: String) throws -> Quantity {
        let q = try quantity(s)
        guard q.bytes >= 4096 else {
            throw ValueError("memory limit of \(q.bytes) bytes too low. Try a reasonable value, such as --memory=16M")
        }
        return q
    }

    /// `--cpu`: a resource quantity (`500m`, `2`).
    public static func cpu(_ s: String) throws -> Quantity {
        try quantity(s)
    }

    static func quantity(_ s: String) throws -> Quantity {
        do { return try Quantity(s) } catch {
            throw ValueError("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
        }
    }

    /// `--cpu-shares` (appc `NewLinuxCPUShares`).
    public static func cpuShares(_ s: String) throws -> Int {
        guard let n = Int(s) else { throw ValueError("strconv.Atoi: parsing \"\(s)\": invalid syntax") }
        guard n >= 2, n <= 262_144 else { throw ValueError("cpu-shares \(n) must be in range [2, 262144]") }
        return n
    }

    /// `--oom-score-adj` (appc `NewLinuxOOMScoreAdj`).
    public static func oomScoreAdj(_ s: String) throws -> Int {
        guard let n = Int(s) else { throw ValueError("strconv.Atoi: parsing \"\(s)\": invalid syntax") }
        guard n >= -1000, n <= 1000 else { throw ValueError("oom-score-adj must be in range [-1000, 1000], got \(n)") }
        return n
    }

    /// `--caps-retain` / `--caps-remove`: a non-empty comma list of known Linux capability names.
    public static func capabilities(_ s: String) throws -> [String] {
        let caps = s.split(separator: ",", omittingEmptySubsequences: true).map(String.init)
        guard !caps.isEmpty else { throw ValueError("capabilities set cannot be empty") }
        for c in caps where !LinuxCapability.isKnown(c) {
            throw ValueError("unknown capability \"\(c)\"")
        }
        return caps
    }

    /// One `--set-env-file`: `NAME=VALUE` lines; blank lines and lines starting with `#` or `;`
    /// are skipped. A name set twice (in this or an earlier file) is an error, as in rkt.
    public static func envFile(_ path: String, existing: [KeyValue]) throws -> [KeyValue] {
        let data: [UInt8]
        do {
            data = try FileIO.readFile(path)
        } catch {
            let code = access(path, R_OK) == 0 ? EIO : errno
            throw ValueError("open \(path): \(RktError.strerror(code))")
        }
        var out: [KeyValue] = []
        for raw in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            guard let kv = splitKV(line), !kv.name.isEmpty else {
                throw ValueError("environment variable must be specified as name=value (file \"\(path)\")")
            }
            if existing.contains(where: { $0.name == kv.name }) || out.contains(where: { $0.name == kv.name }) {
                throw ValueError("environment variable \"\(kv.name)\" already set (file \"\(path)\")")
            }
            out.append(kv)
        }
        return out
    }
}

/// `--seccomp mode=retain|remove[,errno=E],syscall…` (rkt: stage0 `getSeccompFilter`): becomes an
/// `os/linux/seccomp-retain-set` or `seccomp-remove-set` isolator replacing the image's.
public struct SeccompOverride: Sendable, Equatable {
    public enum Mode: String, Sendable { case retain, remove }
    public var mode: Mode
    public var errno: String?
    public var set: [String]

    public init(parsing s: String) throws {
        var mode: Mode?
        var errno: String?
        var set: [String] = []
        for item in s.split(separator: ",", omittingEmptySubsequences: true).map(String.init) {
            if let kv = RunFlagValues.splitKV(item) {
                switch kv.name {
                case "mode":
                    guard let m = Mode(rawValue: kv.value) else {
                        throw RunFlagValues.ValueError("unknown seccomp mode \"\(kv.value)\"")
                    }
                    mode = m
                case "errno":
                    guard kv.value.hasPrefix("E"), kv.value.count > 1,
                          kv.value.dropFirst().allSatisfy({ $0.isUppercase || $0.isNumber }) else {
                        throw RunFlagValues.ValueError("invalid seccomp errno \"\(kv.value)\"")
                    }
                    errno = kv.value
                default:
                    throw RunFlagValues.ValueError("unknown seccomp option \"\(kv.name)\"")
                }
            } else {
                set.append(item)
            }
        }
        guard let mode else { throw RunFlagValues.ValueError("missing seccomp mode") }
        guard !set.isEmpty else { throw RunFlagValues.ValueError("empty seccomp set") }
        self.mode = mode
        self.errno = errno
        self.set = set
    }

    /// The isolator name this override becomes.
    public var isolatorName: String {
        mode == .retain ? "os/linux/seccomp-retain-set" : "os/linux/seccomp-remove-set"
    }
}
