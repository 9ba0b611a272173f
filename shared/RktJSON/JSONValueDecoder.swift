/// A `Decoder` that reads a parsed `JSONValue` tree.
///
/// Follows Go's leniency where manifests rely on it (unknown keys are ignored, `null` for an
/// optional is absent) but not its sloppiness with numbers: an `Int` field rejects `1.5`.
/// Errors are `JSONError`s carrying the coding path.
struct JSONValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(value: JSONValue, codingPath: [any CodingKey]) {
        self.value = value
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let o) = value else { throw mismatch("object", value, codingPath) }
        return KeyedDecodingContainer(KeyedContainer<Key>(object: o, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let a) = value else { throw mismatch("array", value, codingPath) }
        return UnkeyedContainer(items: a, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleContainer(value: value, codingPath: codingPath)
    }
}

func mismatch(_ expected: String, _ found: JSONValue, _ path: [any CodingKey]) -> JSONError {
    mismatch(expected, found, formatCodingPath(path))
}

func mismatch(_ expected: String, _ found: JSONValue, _ path: String) -> JSONError {
    JSONError("expected \(expected), found \(found.typeName)", path: path)
}

/// Converts one JSON value to a Swift value; shared by all three container kinds.
/// The path is an autoclosure: building it costs an allocation, and leaves need it only on error.
func unbox<T: Decodable>(_ v: JSONValue, as type: T.Type, path: @autoclosure () -> [any CodingKey]) throws -> T {
    // Fast paths for the leaf types manifests are made of.
    if T.self == String.self {
        guard case .string(let s) = v else { throw mismatch("string", v, path()) }
        if let r = s as? T { return r }
    }
    if T.self == Bool.self {
        guard case .bool(let b) = v else { throw mismatch("bool", v, path()) }
        if let r = b as? T { return r }
    }
    if T.self == JSONValue.self, let r = v as? T { return r }
    return try T(from: JSONValueDecoder(value: v, codingPath: path()))
}

func unboxInteger<T: FixedWidthInteger>(_ v: JSONValue, _ type: T.Type, path: @autoclosure () -> [any CodingKey]) throws -> T {
    try integer(v, type, path: formatCodingPath(path()))
}

func integer<T: FixedWidthInteger>(_ v: JSONValue, _ type: T.Type, path: @autoclosure () -> String) throws -> T {
    switch v {
    case .int(let i):
        guard let r = T(exactly: i) else {
            throw JSONError("number \(i) does not fit in \(T.self)", path: path())
        }
        return r
    case .double(let d):
        // Integers above Int64.max arrive as doubles; accept them only when exact.
        if d.rounded() == d, let r = T(exactly: d) { return r }
        throw JSONError("number \(JSONWriter.formatDouble(d)) is not a valid \(T.self)", path: path())
    default:
        throw mismatch("number", v, path())
    }
}

func unboxFloat(_ v: JSONValue, path: @autoclosure () -> [any CodingKey]) throws -> Double {
    guard let d = v.doubleValue else { throw mismatch("number", v, path()) }
    return d
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: JSONObject
    let codingPath: [any CodingKey]

    var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { object[key.stringValue] != nil }

    private func path(_ key: Key) -> [any CodingKey] { codingPath + [JSONKey(key.stringValue)] }

    private func get(_ key: Key) throws -> JSONValue {
        guard let v = object[key.stringValue] else {
            throw JSONError("missing required field", path: formatCodingPath(path(key)))
        }
        return v
    }

    func decodeNil(forKey key: Key) throws -> Bool { try get(key).isNull }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try unbox(get(key), as: Bool.self, path: path(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try unbox(get(key), as: String.self, path: path(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try unboxFloat(get(key), path: path(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try unboxFloat(get(key), path: path(key))) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try unboxInteger(get(key), Int.self, path: path(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try unboxInteger(get(key), Int8.self, path: path(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try unboxInteger(get(key), Int16.self, path: path(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try unboxInteger(get(key), Int32.self, path: path(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try unboxInteger(get(key), Int64.self, path: path(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try unboxInteger(get(key), UInt.self, path: path(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try unboxInteger(get(key), UInt8.self, path: path(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try unboxInteger(get(key), UInt16.self, path: path(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try unboxInteger(get(key), UInt32.self, path: path(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try unboxInteger(get(key), UInt64.self, path: path(key)) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try unbox(get(key), as: T.self, path: path(key)) }

    /// `null` counts as absent, as in Go.
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let v = object[key.stringValue], !v.isNull else { return nil }
        return try unbox(v, as: T.self, path: path(key))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try JSONValueDecoder(value: get(key), codingPath: path(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try JSONValueDecoder(value: get(key), codingPath: path(key)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        JSONValueDecoder(value: object["super"] ?? .null, codingPath: codingPath + [JSONKey("super")])
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        JSONValueDecoder(value: object[key.stringValue] ?? .null, codingPath: path(key))
    }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(items: [JSONValue], codingPath: [any CodingKey]) {
        self.items = items
        self.codingPath = codingPath
    }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private var path: [any CodingKey] { codingPath + [JSONKey.index(currentIndex)] }
    private func path(_ i: Int) -> [any CodingKey] { codingPath + [JSONKey.index(i)] }

    /// The next element and its index (the path is built from it only when needed).
    private mutating func next() throws -> (JSONValue, Int) {
        guard currentIndex < items.count else {
            throw JSONError("unexpected end of array", path: formatCodingPath(path))
        }
        let r = (items[currentIndex], currentIndex)
        currentIndex += 1
        return r
    }

    mutating func decodeNil() throws -> Bool {
        guard currentIndex < items.count else { throw JSONError("unexpected end of array", path: formatCodingPath(path)) }
        if items[currentIndex].isNull { currentIndex += 1; return true }
        return false
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { let (v, i) = try next(); return try unbox(v, as: Bool.self, path: path(i)) }
    mutating func decode(_ type: String.Type) throws -> String { let (v, i) = try next(); return try unbox(v, as: String.self, path: path(i)) }
    mutating func decode(_ type: Double.Type) throws -> Double { let (v, i) = try next(); return try unboxFloat(v, path: path(i)) }
    mutating func decode(_ type: Float.Type) throws -> Float { let (v, i) = try next(); return Float(try unboxFloat(v, path: path(i))) }
    mutating func decode(_ type: Int.Type) throws -> Int { let (v, i) = try next(); return try unboxInteger(v, Int.self, path: path(i)) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { let (v, i) = try next(); return try unboxInteger(v, Int8.self, path: path(i)) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { let (v, i) = try next(); return try unboxInteger(v, Int16.self, path: path(i)) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { let (v, i) = try next(); return try unboxInteger(v, Int32.self, path: path(i)) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { let (v, i) = try next(); return try unboxInteger(v, Int64.self, path: path(i)) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { let (v, i) = try next(); return try unboxInteger(v, UInt.self, path: path(i)) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { let (v, i) = try next(); return try unboxInteger(v, UInt8.self, path: path(i)) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { let (v, i) = try next(); return try unboxInteger(v, UInt16.self, path: path(i)) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { let (v, i) = try next(); return try unboxInteger(v, UInt32.self, path: path(i)) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { let (v, i) = try next(); return try unboxInteger(v, UInt64.self, path: path(i)) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { let (v, i) = try next(); return try unbox(v, as: T.self, path: path(i)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (v, i) = try next()
        return try JSONValueDecoder(value: v, codingPath: path(i)).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (v, i) = try next()
        return try JSONValueDecoder(value: v, codingPath: path(i)).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (v, i) = try next()
        return JSONValueDecoder(value: v, codingPath: path(i))
    }
}

private struct SingleContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { value.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try unbox(value, as: Bool.self, path: codingPath) }
    func decode(_ type: String.Type) throws -> String { try unbox(value, as: String.self, path: codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try unboxFloat(value, path: codingPath) }
    func decode(_ type: Float.Type) throws -> Float { Float(try unboxFloat(value, path: codingPath)) }
    func decode(_ type: Int.Type) throws -> Int { try unboxInteger(value, Int.self, path: codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try unboxInteger(value, Int8.self, path: codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try unboxInteger(value, Int16.self, path: codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try unboxInteger(value, Int32.self, path: codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try unboxInteger(value, Int64.self, path: codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try unboxInteger(value, UInt.self, path: codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try unboxInteger(value, UInt8.self, path: codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try unboxInteger(value, UInt16.self, path: codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try unboxInteger(value, UInt32.self, path: codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try unboxInteger(value, UInt64.self, path: codingPath) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try unbox(value, as: T.self, path: codingPath) }
}
