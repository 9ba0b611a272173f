/// An `Encoder` that builds a `JSONValue` tree. Keys come out in the order `encode(to:)`
/// writes them, which is how the schema types reproduce Go's struct-field order.
///
/// Containers are reference nodes so that nested containers handed out earlier can still be
/// filled in after the parent returned them (the Codable contract allows that).
final class EncNode {
    enum Kind {
        case value(JSONValue)
        case object([(String, EncNode)])
        case array([EncNode])
        case unset
    }
    var kind: Kind = .unset

    init() {}
    init(_ v: JSONValue) { kind = .value(v) }

    func finish() -> JSONValue {
        switch kind {
        case .value(let v): return v
        case .unset: return .null
        case .array(let items): return .array(items.map { $0.finish() })
        case .object(let entries):
            var o = JSONObject()
            for (k, n) in entries { o[k] = n.finish() }
            return .object(o)
        }
    }

    func ensureObject() -> Bool {
        switch kind {
        case .unset: kind = .object([]); return true
        case .object: return true
        default: return false
        }
    }

    func ensureArray() -> Bool {
        switch kind {
        case .unset: kind = .array([]); return true
        case .array: return true
        default: return false
        }
    }

    /// Appends; a key written twice is resolved (last wins) when the tree is finished.
    func set(_ key: String, _ child: EncNode) {
        guard case .object(var entries) = kind else { return }
        kind = .unset  // drop the reference so the append does not copy
        entries.append((key, child))
        kind = .object(entries)
    }

    func append(_ child: EncNode) {
        guard case .array(var items) = kind else { return }
        kind = .unset
        items.append(child)
        kind = .array(items)
    }

    var arrayCount: Int {
        if case .array(let items) = kind { return items.count }
        return 0
    }
}

struct JSONValueEncoder: Encoder {
    let node: EncNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        // A second container of another kind would be a programming error in encode(to:);
        // the first kind wins so that output stays well-formed.
        _ = node.ensureObject()
        return KeyedEncodingContainer(KeyedEnc<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        _ = node.ensureArray()
        return UnkeyedEnc(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleEnc(node: node, codingPath: codingPath)
    }
}

/// Converts a Swift value to a node; leaf types bypass the Encodable machinery.
func box<T: Encodable>(_ value: T, path: @autoclosure () -> [any CodingKey]) throws -> EncNode {
    // Metatype comparisons are cheap; the casts only run when they will succeed.
    if T.self == String.self, let s = value as? String { return EncNode(.string(s)) }
    if T.self == Bool.self, let b = value as? Bool { return EncNode(.bool(b)) }
    if T.self == JSONValue.self, let v = value as? JSONValue { return EncNode(v) }
    let node = EncNode()
    try value.encode(to: JSONValueEncoder(node: node, codingPath: path()))
    return node
}

func boxInteger<T: FixedWidthInteger>(_ v: T) -> JSONValue {
    if let i = Int64(exactly: v) { return .int(i) }
    return .double(Double(v))
}

func boxDouble(_ d: Double, path: [any CodingKey]) throws -> JSONValue {
    guard d.isFinite else {
        throw JSONError("unsupported value \(d)", path: formatCodingPath(path))
    }
    return .double(d)
}

private struct KeyedEnc<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncNode
    let codingPath: [any CodingKey]

    private func path(_ key: Key) -> [any CodingKey] { codingPath + [JSONKey(key.stringValue)] }
    private func put(_ key: Key, _ v: JSONValue) { node.set(key.stringValue, EncNode(v)) }

    mutating func encodeNil(forKey key: Key) throws { put(key, .null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(key, .bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(key, .string(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(key, try boxDouble(value, path: path(key))) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(key, try boxDouble(Double(value), path: path(key))) }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(key, boxInteger(value)) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(key, boxInteger(value)) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(key, boxInteger(value)) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(key, boxInteger(value)) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(key, boxInteger(value)) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(key, boxInteger(value)) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(key, boxInteger(value)) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(key, boxInteger(value)) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(key, boxInteger(value)) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(key, boxInteger(value)) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        node.set(key.stringValue, try box(value, path: path(key)))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = EncNode()
        node.set(key.stringValue, child)
        return JSONValueEncoder(node: child, codingPath: path(key)).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = EncNode()
        node.set(key.stringValue, child)
        return JSONValueEncoder(node: child, codingPath: path(key)).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let child = EncNode()
        node.set("super", child)
        return JSONValueEncoder(node: child, codingPath: codingPath + [JSONKey("super")])
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let child = EncNode()
        node.set(key.stringValue, child)
        return JSONValueEncoder(node: child, codingPath: path(key))
    }
}

private struct UnkeyedEnc: UnkeyedEncodingContainer {
    let node: EncNode
    let codingPath: [any CodingKey]
    var count: Int { node.arrayCount }

    private var path: [any CodingKey] { codingPath + [JSONKey.index(count)] }
    private func put(_ v: JSONValue) { node.append(EncNode(v)) }

    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(try boxDouble(value, path: path)) }
    mutating func encode(_ value: Float) throws { put(try boxDouble(Double(value), path: path)) }
    mutating func encode(_ value: Int) throws { put(boxInteger(value)) }
    mutating func encode(_ value: Int8) throws { put(boxInteger(value)) }
    mutating func encode(_ value: Int16) throws { put(boxInteger(value)) }
    mutating func encode(_ value: Int32) throws { put(boxInteger(value)) }
    mutating func encode(_ value: Int64) throws { put(boxInteger(value)) }
    mutating func encode(_ value: UInt) throws { put(boxInteger(value)) }
    mutating func encode(_ value: UInt8) throws { put(boxInteger(value)) }
    mutating func encode(_ value: UInt16) throws { put(boxInteger(value)) }
    mutating func encode(_ value: UInt32) throws { put(boxInteger(value)) }
    mutating func encode(_ value: UInt64) throws { put(boxInteger(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { node.append(try box(value, path: path)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = EncNode()
        let p = path
        node.append(child)
        return JSONValueEncoder(node: child, codingPath: p).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = EncNode()
        let p = path
        node.append(child)
        return JSONValueEncoder(node: child, codingPath: p).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let child = EncNode()
        let p = path
        node.append(child)
        return JSONValueEncoder(node: child, codingPath: p)
    }
}

private struct SingleEnc: SingleValueEncodingContainer {
    let node: EncNode
    let codingPath: [any CodingKey]

    private func put(_ v: JSONValue) { node.kind = .value(v) }

    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(try boxDouble(value, path: codingPath)) }
    mutating func encode(_ value: Float) throws { put(try boxDouble(Double(value), path: codingPath)) }
    mutating func encode(_ value: Int) throws { put(boxInteger(value)) }
    mutating func encode(_ value: Int8) throws { put(boxInteger(value)) }
    mutating func encode(_ value: Int16) throws { put(boxInteger(value)) }
    mutating func encode(_ value: Int32) throws { put(boxInteger(value)) }
    mutating func encode(_ value: Int64) throws { put(boxInteger(value)) }
    mutating func encode(_ value: UInt) throws { put(boxInteger(value)) }
    mutating func encode(_ value: UInt8) throws { put(boxInteger(value)) }
    mutating func encode(_ value: UInt16) throws { put(boxInteger(value)) }
    mutating func encode(_ value: UInt32) throws { put(boxInteger(value)) }
    mutating func encode(_ value: UInt64) throws { put(boxInteger(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let n = try box(value, path: codingPath)
        node.kind = n.kind
    }
}
