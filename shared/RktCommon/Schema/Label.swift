import RktJSON

/// `{name, value}` objects (labels, annotations, environment variables) read and write alike.
/// Absent fields decode as empty strings, as in Go; validation then rejects a missing name.
public protocol NameValuePair {
    var name: String { get }
    var value: String { get }
    init(name: String, value: String)
}

extension NameValuePair {
    public init(from decoder: any Decoder) throws { try self.init(json: JSONObjectReader(decoder)) }

    init(json r: JSONObjectReader) throws { self.init(name: try r.string("name") ?? "", value: try r.string("value") ?? "") }

    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    public var json: JSONValue { ["name": .string(name), "value": .string(value)] }
}

/// `{name, value}` image label. The name is an AC Identifier; `name` itself is reserved.
public struct Label: NameValuePair, Codable, Sendable, Equatable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// `{name, value}` annotation (image, pod and runtime-app level).
public struct Annotation: NameValuePair, Codable, Sendable, Equatable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// Name-keyed access: `labels["version"]`; assigning replaces or appends, nil removes.
extension Array where Element == Label {
    public subscript(name: String) -> String? {
        get { first { $0.name == name }?.value }
        set {
            if let i = firstIndex(where: { $0.name == name }) {
                if let newValue { self[i].value = newValue } else { remove(at: i) }
            } else if let newValue {
                append(Label(name: name, value: newValue))
            }
        }
    }
}

extension Array where Element == Annotation {
    public subscript(name: String) -> String? {
        get { first { $0.name == name }?.value }
        set {
            if let i = firstIndex(where: { $0.name == name }) {
                if let newValue { self[i].value = newValue } else { remove(at: i) }
            } else if let newValue {
                append(Annotation(name: name, value: newValue))
            }
        }
    }
}

/// The os/arch pairs the appc lib accepts (schema/types/labels.go). rkt itself runs only linux.
public enum OSArch {
    public static let validPairs: [String: [String]] = [
        "linux": ["amd64", "i386", "aarch64", "aarch64_be", "armv6l", "armv7l", "armv7b", "ppc64", "ppc64le", "s390x"],
        "freebsd": ["amd64", "i386", "arm"],
        "darwin": ["x86_64", "i386"],
    ]

    /// `arch` is checked only together with `os`, as in the lib.
    public static func validate(os: String?, arch: String?, path: String = "labels") throws {
        guard let os else { return }
        guard let arches = validPairs[os] else {
            throw schemaError(path, "bad os \"\(os)\" (must be one of: [darwin freebsd linux])")
        }
        if let arch, !arches.contains(arch) {
            throw schemaError(path, "bad arch \"\(arch)\" for \(os) (must be one of: \(arches))")
        }
    }

    /// appc arch name for the machine we run on (Go GOARCH → appc mapping).
    public static var current: String {
        #if arch(x86_64)
        return "amd64"
        #elseif arch(arm64)
        return "aarch64"
        #elseif arch(i386)
        return "i386"
        #elseif arch(arm)
        return "armv7l"
        #elseif arch(powerpc64le)
        return "ppc64le"
        #elseif arch(s390x)
        return "s390x"
        #else
        return "unknown"
        #endif
    }
}

enum LabelRules {
    static func validate(_ labels: [Label], path: String) throws {
        for (i, l) in labels.enumerated() {
            // Paths are built only on failure: label lists can be long.
            if ACIdentifier.isValid(l.name) && l.name != "name" { continue }
            let p = SchemaPath.index(path, i)
            try ACIdentifier.validate(l.name, path: SchemaPath.field(p, "name"))
            throw schemaError(SchemaPath.field(p, "name"), "invalid label name: \"name\"")
        }
        if let (i, n) = firstDuplicate(labels, by: \.name) {
            throw schemaError(SchemaPath.index(path, i), "duplicate labels of name \"\(n)\"")
        }
        try OSArch.validate(os: labels["os"], arch: labels["arch"], path: path)
    }
}

enum AnnotationRules {
    static func validate(_ annotations: [Annotation], path: String) throws {
        for (i, a) in annotations.enumerated() {
            let wellKnown = a.name == "created" || a.name == "homepage" || a.name == "documentation"
            if !wellKnown && ACIdentifier.isValid(a.name) { continue }
            let p = SchemaPath.index(path, i)
            try ACIdentifier.validate(a.name, path: SchemaPath.field(p, "name"))
            switch a.name {
            case "created":
                guard isRFC3339(a.value) else {
                    throw schemaError(SchemaPath.field(p, "value"), "created: \"\(a.value)\" is not an RFC 3339 date-time")
                }
            case "homepage", "documentation":
                guard isHTTPURL(a.value) else {
                    throw schemaError(SchemaPath.field(p, "value"), "\(a.name): \"\(a.value)\" is not an http or https URL")
                }
            default: break
            }
        }
        if let (i, n) = firstDuplicate(annotations, by: \.name) {
            throw schemaError(SchemaPath.index(path, i), "duplicate annotations of name \"\(n)\"")
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, the shape Go's time.RFC3339 parses.
    static func isRFC3339(_ s: String) -> Bool {
        let u = Array(s.utf8)
        func digits(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= u.count else { return nil }
            var v = 0
            for i in r {
                guard u[i] >= 48 && u[i] <= 57 else { return nil }
                v = v * 10 + Int(u[i] - 48)
            }
            return v
        }
        guard u.count >= 20, let _ = digits(0..<4), u[4] == UInt8(ascii: "-"), let mo = digits(5..<7),
            u[7] == UInt8(ascii: "-"), let d = digits(8..<10), u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: "t"),
            let h = digits(11..<13), u[13] == UInt8(ascii: ":"), let mi = digits(14..<16), u[16] == UInt8(ascii: ":"),
            let sec = digits(17..<19)
        else { return false }
        guard (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61 else { return false }
        var i = 19
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < u.count, u[i] >= 48 && u[i] <= 57 { i += 1 }
            if i == start { return false }
        }
        guard i < u.count else { return false }
        if u[i] == UInt8(ascii: "Z") || u[i] == UInt8(ascii: "z") { return i + 1 == u.count }
        guard u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-"), u.count == i + 6,
            let oh = digits(i + 1..<i + 3), u[i + 3] == UInt8(ascii: ":"), let om = digits(i + 4..<i + 6)
        else { return false }
        return oh < 24 && om < 60
    }

    static func isHTTPURL(_ s: String) -> Bool {
        for scheme in ["http://", "https://"] where s.lowercased().hasPrefix(scheme) {
            let rest = s.dropFirst(scheme.count)
            return !rest.isEmpty && !rest.hasPrefix("/") && !rest.contains(" ")
        }
        return false
    }
}
