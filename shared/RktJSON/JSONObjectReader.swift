/// Hand-written decoding of one JSON object, for the types every rkt process reads (pod and image
/// manifests). Their `init(from:)` hands over to an `init(json:)` built on this.
///
/// Why not Codable containers all the way down: they are generic over each type's `CodingKeys`,
/// and the first decode in a process instantiates a container type, a box and witness tables per
/// key type, each found by demangling and by scanning the binary's conformance records. That was
/// about 90 % of decoding a pod manifest in init, pod-init and fly, and of the image manifest in
/// stage0 (docs/performance.md). This reader is concrete; its errors and paths are the decoder's
/// (`apps[0].name: expected string, found number`), and `null` counts as absent, as in Go.
public struct JSONObjectReader {
    /// Where this object sits (`apps[0].app`); empty at the top level.
    public let path: String
    let object: JSONObject

    public init(_ value: JSONValue, path: String) throws {
        guard case .object(let o) = value else { throw mismatch("object", value, path) }
        self.object = o
        self.path = path
    }

    /// The object a decoder is positioned at. Ours hands its value over; any other decoder goes
    /// through `JSONValue`'s generic decoding first.
    public init(_ decoder: any Decoder) throws {
        let value = try (decoder as? JSONValueDecoder)?.value ?? JSONValue(from: decoder)
        try self.init(value, path: formatCodingPath(decoder.codingPath))
    }

    /// `path.key`.
    public func path(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The member, nil when absent or `null`.
    public func value(_ key: String) -> JSONValue? {
        guard let v = object[key], !v.isNull else { return nil }
        return v
    }

    public func string(_ key: String) throws -> String? {
        try value(key).map { try JSONObjectReader.string($0, path: path(key)) }
    }

    public func bool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw mismatch("bool", v, path(key)) }
        return b
    }

    public func int(_ key: String) throws -> Int? {
        try value(key).map { try integer($0, Int.self, path: path(key)) }
    }

    public func uint64(_ key: String) throws -> UInt64? {
        try value(key).map { try integer($0, UInt64.self, path: path(key)) }
    }

    /// A nested object, read by `make`.
    public func object<T>(_ key: String, _ make: (JSONObjectReader) throws -> T) throws -> T? {
        guard let v = value(key) else { return nil }
        return try make(JSONObjectReader(v, path: path(key)))
    }

    /// An array; `element` gets each item with its path (`exec[2]`).
    public func array<T>(_ key: String, _ element: (JSONValue, String) throws -> T) throws -> [T]? {
        guard let v = value(key) else { return nil }
        let p = path(key)
        guard case .array(let items) = v else { throw mismatch("array", v, p) }
        var out: [T] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() { out.append(try element(item, "\(p)[\(i)]")) }
        return out
    }

    /// An array of objects, each read by `make`.
    public func objects<T>(_ key: String, _ make: (JSONObjectReader) throws -> T) throws -> [T]? {
        try array(key) { v, p in try make(JSONObjectReader(v, path: p)) }
    }

    public func strings(_ key: String) throws -> [String]? {
        try array(key) { v, p in try JSONObjectReader.string(v, path: p) }
    }

    public func ints(_ key: String) throws -> [Int]? {
        try array(key) { v, p in try integer(v, Int.self, path: p) }
    }

    /// An object of strings (`userLabels`).
    public func stringMap(_ key: String) throws -> [String: String]? {
        guard let v = value(key) else { return nil }
        let members = try JSONObjectReader(v, path: path(key))
        var out: [String: String] = [:]
        for (k, item) in members.object { out[k] = try JSONObjectReader.string(item, path: members.path(k)) }
        return out
    }

    static func string(_ v: JSONValue, path: String) throws -> String {
        guard case .string(let s) = v else { throw mismatch("string", v, path) }
        return s
    }
}

/// Building the JSON of the same types by hand, in Go's field order, for the same reason.
extension JSONObject {
    /// Sets `key` unless `value` is nil (`omitempty` on an optional).
    public mutating func set(_ key: String, _ value: JSONValue?) {
        if let value { self[key] = value }
    }

    /// An object of strings with sorted keys, as Go writes maps; nothing when empty.
    public mutating func setStringMap(_ key: String, _ map: [String: String]) {
        guard !map.isEmpty else { return }
        var o = JSONObject()
        for k in map.keys.sorted() { o[k] = .string(map[k] ?? "") }
        self[key] = .object(o)
    }
}

extension JSONValue {
    public static func strings(_ items: [String]) -> JSONValue { .array(items.map { .string($0) }) }
    public static func ints(_ items: [Int]) -> JSONValue { .array(items.map { .int(Int64($0)) }) }
    /// As the encoder writes integers: exact when they fit in Int64, else a double.
    public static func integer<T: FixedWidthInteger>(_ v: T) -> JSONValue { boxInteger(v) }
}
