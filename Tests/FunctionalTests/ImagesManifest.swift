import Foundation

/// A JSON value for the free-form parts of a manifest (isolator values, raw extras).
indirect enum JSONValue: Sendable, Equatable {
    case string(String), number(Double), bool(Bool), null
    case array([JSONValue]), object([(String, JSONValue)])

    static func == (a: JSONValue, b: JSONValue) -> Bool { a.serialized == b.serialized }

    /// Compact JSON, keys in insertion order (stable, so the image ID of a variant is stable).
    var serialized: String {
        switch self {
        case .string(let s): return jsonQuote(s)
        case .number(let n):
            return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let a): return "[" + a.map(\.serialized).joined(separator: ",") + "]"
        case .object(let o): return "{" + o.map { jsonQuote($0.0) + ":" + $0.1.serialized }.joined(separator: ",") + "}"
        }
    }
}

func jsonQuote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 {
                out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16)
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

/// An appc ImageManifest as the tests need it, with the patch operations of
/// `actool patch-manifest` (rkt-functional-tests.md §1.3).
struct TestManifest: Sendable {
    struct App: Sendable {
        var exec: [String] = []
        var user = "0"
        var group = "0"
        var supplementaryGIDs: [Int] = []
        var workingDirectory: String?
        var environment: [(String, String)] = []
        var isolators: [(String, JSONValue)] = []
        var mountPoints: [(name: String, path: String, readOnly: Bool)] = []
        var ports: [(name: String, proto: String, port: Int)] = []
        /// `(event name, exec)`, e.g. `("pre-start", ["/inspect", "--print-user"])`.
        var eventHandlers: [(String, [String])] = []
    }

    var name: String
    var labels: [(String, String)] = [("version", "1.30.0"), ("arch", "amd64"), ("os", "linux")]
    var app: App?
    var annotations: [(String, String)] = []
    /// `(image name, labels)`.
    var dependencies: [(String, [(String, String)])] = []

    init(name: String, app: App? = nil) {
        self.name = name
        self.app = app
    }

    // MARK: patch operations (actool patch-manifest)

    private var appOrNew: App {
        get { app ?? App() }
        set { app = newValue }
    }

    /// `--exec="A B C"`: splits on single spaces, no quoting, like actool.
    mutating func setExec(_ line: String) { appOrNew.exec = line.components(separatedBy: " ") }
    mutating func setExec(_ argv: [String]) { appOrNew.exec = argv }
    mutating func setUser(_ u: String) { appOrNew.user = u }
    mutating func setGroup(_ g: String) { appOrNew.group = g }
    mutating func setSupplementaryGIDs(_ g: [Int]) { appOrNew.supplementaryGIDs = g }
    mutating func setWorkingDirectory(_ d: String) { appOrNew.workingDirectory = d }

    mutating func setEnv(_ name: String, _ value: String) {
        var a = appOrNew
        a.environment.removeAll { $0.0 == name }
        a.environment.append((name, value))
        app = a
    }

    mutating func setLabel(_ name: String, _ value: String?) {
        labels.removeAll { $0.0 == name }
        if let value { labels.append((name, value)) }
    }

    mutating func setAnnotation(_ name: String, _ value: String) {
        annotations.removeAll { $0.0 == name }
        annotations.append((name, value))
    }

    /// `--capability=`: replaces any capability isolator with a retain set.
    mutating func retainCapabilities(_ caps: [String]) { setCapsIsolator("os/linux/capabilities-retain-set", caps) }
    /// `--revoke-capability=`: replaces any capability isolator with a remove set.
    mutating func removeCapabilities(_ caps: [String]) { setCapsIsolator("os/linux/capabilities-remove-set", caps) }

    private mutating func setCapsIsolator(_ name: String, _ caps: [String]) {
        var a = appOrNew
        a.isolators.removeAll { $0.0.hasPrefix("os/linux/capabilities-") }
        a.isolators.append((name, .object([("set", .array(caps.map(JSONValue.string)))])))
        app = a
    }

    /// `--seccomp-mode=remove|retain[,errno=E] --seccomp-set=…`: replaces any seccomp isolator.
    mutating func setSeccomp(mode: String, set: [String], errno: String? = nil) {
        var a = appOrNew
        a.isolators.removeAll { $0.0.hasPrefix("os/linux/seccomp-") }
        var v: [(String, JSONValue)] = [("set", .array(set.map(JSONValue.string)))]
        if let errno { v.append(("errno", .string(errno))) }
        a.isolators.append(("os/linux/seccomp-\(mode)-set", .object(v)))
        app = a
    }

    /// `--isolators=`: appends, e.g. `("resource/memory", .object([("limit", .string("4M"))]))`,
    /// `("os/linux/no-new-privileges", .bool(true))`, `("os/linux/oom-score-adj", .number(99))`.
    mutating func addIsolator(_ name: String, _ value: JSONValue) { appOrNew.isolators.append((name, value)) }
    mutating func removeIsolators(named name: String) { app?.isolators.removeAll { $0.0 == name } }

    /// `--mounts=name,path=/p,readOnly=bool`.
    mutating func addMountPoint(name: String, path: String, readOnly: Bool = false) {
        appOrNew.mountPoints.append((name, path, readOnly))
    }

    /// `--ports=name,protocol=tcp,port=N`.
    mutating func addPort(name: String, proto: String = "tcp", port: Int) { appOrNew.ports.append((name, proto, port)) }

    mutating func addEventHandler(_ name: String, exec: [String]) { appOrNew.eventHandlers.append((name, exec)) }

    // MARK: JSON

    var json: JSONValue {
        func nv(_ pairs: [(String, String)]) -> JSONValue {
            .array(pairs.map { .object([("name", .string($0.0)), ("value", .string($0.1))]) })
        }
        var o: [(String, JSONValue)] = [
            ("acKind", .string("ImageManifest")), ("acVersion", .string("0.8.11")), ("name", .string(name)),
            ("labels", nv(labels)),
        ]
        if let a = app {
            var ao: [(String, JSONValue)] = [
                ("exec", .array(a.exec.map(JSONValue.string))), ("user", .string(a.user)), ("group", .string(a.group)),
            ]
            if !a.supplementaryGIDs.isEmpty {
                ao.append(("supplementaryGIDs", .array(a.supplementaryGIDs.map { .number(Double($0)) })))
            }
            if let wd = a.workingDirectory { ao.append(("workingDirectory", .string(wd))) }
            if !a.eventHandlers.isEmpty {
                ao.append(("eventHandlers", .array(a.eventHandlers.map {
                    .object([("name", .string($0.0)), ("exec", .array($0.1.map(JSONValue.string)))])
                })))
            }
            ao.append(("environment", nv(a.environment)))
            ao.append(("isolators", .array(a.isolators.map { .object([("name", .string($0.0)), ("value", $0.1)]) })))
            ao.append(("mountPoints", .array(a.mountPoints.map {
                .object([("name", .string($0.name)), ("path", .string($0.path)), ("readOnly", .bool($0.readOnly))])
            })))
            ao.append(("ports", .array(a.ports.map {
                .object([("name", .string($0.name)), ("protocol", .string($0.proto)), ("port", .number(Double($0.port))),
                         ("count", .number(1)), ("socketActivated", .bool(false))])
            })))
            o.append(("app", .object(ao)))
        }
        if !dependencies.isEmpty {
            o.append(("dependencies", .array(dependencies.map { dep in
                var d: [(String, JSONValue)] = [("imageName", .string(dep.0))]
                if !dep.1.isEmpty { d.append(("labels", nv(dep.1))) }
                return .object(d)
            })))
        }
        if !annotations.isEmpty { o.append(("annotations", nv(annotations))) }
        return .object(o)
    }

    var serialized: String { json.serialized }
}
