/// Go `flag`-package parsing for the stage1 entrypoints, whose argv stage0 (and third-party
/// stage0s) build in Go style: `-f`, `--f`, `-f=v`, `--f v`; booleans only as `-f` or `-f=bool`;
/// parsing stops at the first non-flag argument or after `--`. Errors carry exit status 2,
/// which is what Go's `flag.ExitOnError` uses.
public struct GoFlagSet: Sendable {
    public enum Kind: Sendable {
        case bool(default: Bool)
        case string(default: String)
    }

    public let name: String
    private var kinds: [String: Kind] = [:]
    private var order: [String] = []
    private var usages: [String: String] = [:]

    public init(_ name: String) {
        self.name = name
    }

    public mutating func bool(_ flag: String, default value: Bool = false, usage: String = "") {
        define(flag, .bool(default: value), usage)
    }

    public mutating func string(_ flag: String, default value: String = "", usage: String = "") {
        define(flag, .string(default: value), usage)
    }

    private mutating func define(_ flag: String, _ kind: Kind, _ usage: String) {
        if kinds[flag] == nil { order.append(flag) }
        kinds[flag] = kind
        usages[flag] = usage
    }

    public func isDefined(_ flag: String) -> Bool { kinds[flag] != nil }

    /// Parses `args` (without argv[0]).
    public func parse(_ args: [String]) throws -> GoFlags {
        var result = GoFlags(kinds: kinds)
        var i = 0
        while i < args.count {
            let arg = args[i]
            if arg.count < 2 || !arg.hasPrefix("-") { break }
            var body = Substring(arg.dropFirst())
            if body.hasPrefix("-") {
                body = body.dropFirst()
                if body.isEmpty {
                    i += 1  // "--" ends the flags and is consumed
                    break
                }
            }
            if body.hasPrefix("-") || body.hasPrefix("=") {
                throw usageError("bad flag syntax: \(arg)")
            }
            i += 1
            var name = String(body)
            var value: String?
            if let eq = body.firstIndex(of: "=") {
                name = String(body[..<eq])
                value = String(body[body.index(after: eq)...])
            }
            guard let kind = kinds[name] else {
                if name == "help" || name == "h" {
                    throw RktError("flag: help requested", exitCode: 0)
                }
                throw usageError("flag provided but not defined: -\(name)")
            }
            switch kind {
            case .bool:
                if let v = value {
                    guard let b = GoFlags.parseBool(v) else {
                        throw usageError("invalid boolean value \"\(v)\" for -\(name): parse error")
                    }
                    result.values[name] = b ? "true" : "false"
                } else {
                    result.values[name] = "true"
                }
            case .string:
                if let v = value {
                    result.values[name] = v
                } else if i < args.count {
                    result.values[name] = args[i]
                    i += 1
                } else {
                    throw usageError("flag needs an argument: -\(name)")
                }
            }
        }
        result.arguments = Array(args[i...])
        return result
    }

    /// The error a flag whose value failed validation reports (`invalid value "x" for flag -f: why`).
    public func invalidValue(_ flag: String, _ value: String, _ why: String) -> RktError {
        usageError("invalid value \"\(value)\" for flag -\(flag): \(why)")
    }

    private func usageError(_ message: String) -> RktError {
        RktError(message, exitCode: ExitCode.usage)
    }

    /// What Go's `flag` prints after a parse error: `Usage of <program>:` and `PrintDefaults`.
    public func usage(program: String? = nil) -> String {
        var out = "Usage of \(program ?? name):\n"
        for flag in order.sorted() {
            out += "  -\(flag)"
            var def = ""
            if case .string(let d) = kinds[flag] {
                out += " string"
                if !d.isEmpty { def = " (default \"\(d)\")" }
            }
            out += "\n    \t\(usages[flag] ?? "")\(def)\n"
        }
        return out
    }
}

/// The result of `GoFlagSet.parse`.
public struct GoFlags: Sendable {
    fileprivate let kinds: [String: GoFlagSet.Kind]
    /// Values of flags given on the command line (the last occurrence wins, as in Go).
    public fileprivate(set) var values: [String: String] = [:]
    /// Arguments after the flags (`flag.Args()`).
    public fileprivate(set) var arguments: [String] = []

    fileprivate init(kinds: [String: GoFlagSet.Kind]) {
        self.kinds = kinds
    }

    public func isSet(_ flag: String) -> Bool { values[flag] != nil }

    public func bool(_ flag: String) -> Bool {
        if let v = values[flag] { return v == "true" }
        if case .bool(let d) = kinds[flag] { return d }
        return false
    }

    public func string(_ flag: String) -> String {
        if let v = values[flag] { return v }
        if case .string(let d) = kinds[flag] { return d }
        return ""
    }

    /// `strconv.ParseBool`.
    public static func parseBool(_ s: String) -> Bool? {
        switch s {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: return nil
        }
    }
}
