import RktJSON

/// A pod volume (appc schema/types/volume.go). `empty` volumes get mode 0755 and uid/gid 0
/// filled in at decode time, as the lib does, so every consumer sees the same values.
public struct Volume: Codable, Sendable, Equatable {
    public static let kindHost = "host"
    public static let kindEmpty = "empty"
    public static let defaultMode = "0755"

    public var name: String
    public var kind: String
    public var source: String?
    public var readOnly: Bool?
    public var recursive: Bool?
    public var mode: String?
    public var uid: Int?
    public var gid: Int?

    public init(
        name: String, kind: String, source: String? = nil, readOnly: Bool? = nil, recursive: Bool? = nil,
        mode: String? = nil, uid: Int? = nil, gid: Int? = nil
    ) {
        self.name = name
        self.kind = kind
        self.source = source
        self.readOnly = readOnly
        self.recursive = recursive
        self.mode = mode
        self.uid = uid
        self.gid = gid
        fillDefaults()
    }

    /// A host bind mount.
    public static func host(_ name: String, source: String, readOnly: Bool? = nil, recursive: Bool? = nil) -> Volume {
        Volume(name: name, kind: kindHost, source: source, readOnly: readOnly, recursive: recursive)
    }

    /// A fresh directory shared by the pod's apps.
    public static func empty(_ name: String, readOnly: Bool? = nil, mode: String? = nil, uid: Int? = nil, gid: Int? = nil) -> Volume {
        Volume(name: name, kind: kindEmpty, readOnly: readOnly, mode: mode, uid: uid, gid: gid)
    }

    mutating func fillDefaults() {
        guard kind == Self.kindEmpty else { return }
        if mode == nil { mode = Self.defaultMode }
        if uid == nil { uid = 0 }
        if gid == nil { gid = 0 }
    }

    public init(from decoder: any Decoder) throws { try self.init(json: JSONObjectReader(decoder)) }

    init(json r: JSONObjectReader) throws {
        name = try r.string("name") ?? ""
        kind = try r.string("kind") ?? ""
        let src = try r.string("source")
        source = src?.isEmpty == true ? nil : src
        readOnly = try r.bool("readOnly")
        recursive = try r.bool("recursive")
        mode = try r.string("mode")
        uid = try r.int("uid")
        gid = try r.int("gid")
        fillDefaults()
        try validate(at: r.path)
    }

    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    public var json: JSONValue {
        var o = JSONObject()
        o["name"] = .string(name)
        o["kind"] = .string(kind)
        if let source, !source.isEmpty { o["source"] = .string(source) }
        o.set("readOnly", readOnly.map { .bool($0) })
        o.set("recursive", recursive.map { .bool($0) })
        o.set("mode", mode.map { .string($0) })
        o.set("uid", uid.map { .int(Int64($0)) })
        o.set("gid", gid.map { .int(Int64($0)) })
        return .object(o)
    }

    /// The mode as a number (`"0755"` → 0o755); nil when absent or malformed.
    public var modeBits: UInt32? {
        guard let mode, Self.isValidMode(mode) else { return nil }
        return UInt32(mode, radix: 8)
    }

    /// 3 or 4 octal digits.
    public static func isValidMode(_ m: String) -> Bool {
        (3...4).contains(m.utf8.count) && m.utf8.allSatisfy { $0 >= 48 && $0 <= 55 }
    }

    public func validate(at path: String = "") throws {
        func f(_ n: String) -> String { SchemaPath.field(path, n) }
        guard !name.isEmpty else { throw schemaError(f("name"), "name must be set") }
        try ACName.validate(name, path: f("name"))
        switch kind {
        case Self.kindHost:
            guard let source, !source.isEmpty else { throw schemaError(f("source"), "source for host volume cannot be empty") }
            guard isAbsolutePath(source) else { throw schemaError(f("source"), "source for host volume must be absolute path") }
            if mode != nil { throw schemaError(f("mode"), "mode for host volume cannot be set") }
            if uid != nil { throw schemaError(f("uid"), "uid for host volume cannot be set") }
            if gid != nil { throw schemaError(f("gid"), "gid for host volume cannot be set") }
        case Self.kindEmpty:
            if let source, !source.isEmpty { throw schemaError(f("source"), "source for empty volume must be empty") }
            if let mode, !Self.isValidMode(mode) {
                throw schemaError(f("mode"), "invalid mode \"\(mode)\" (must be 3 or 4 octal digits)")
            }
            for (n, v) in [("uid", uid), ("gid", gid)] {
                if let v, v < 0 || v > 4_294_967_294 { throw schemaError(f(n), "invalid \(n) \(v)") }
            }
        default:
            throw schemaError(f("kind"), "unrecognized volume kind: should be one of \"empty\", \"host\"")
        }
    }
}
