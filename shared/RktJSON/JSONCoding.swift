/// Top-level entry points: bytes ⇄ Codable values.

public func decodeJSON<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
    try decodeJSON(type, from: parseJSON(bytes))
}

public func decodeJSON<T: Decodable>(_ type: T.Type, from string: String) throws -> T {
    try decodeJSON(type, from: Array(string.utf8))
}

/// Decodes from an already parsed tree (e.g. an isolator's `value`).
public func decodeJSON<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
    do {
        return try unbox(value, as: T.self, path: [])
    } catch let e as DecodingError {
        throw JSONError(fromDecodingError: e)
    }
}

public func encodeJSON<T: Encodable>(_ value: T, pretty: Bool = false) throws -> [UInt8] {
    try encodeJSONValue(value).serialized(pretty: pretty)
}

public func encodeJSONString<T: Encodable>(_ value: T, pretty: Bool = false) throws -> String {
    String(decoding: try encodeJSON(value, pretty: pretty), as: UTF8.self)
}

/// Encodes to a tree, for callers that want to inspect or merge before writing.
public func encodeJSONValue<T: Encodable>(_ value: T) throws -> JSONValue {
    do {
        return try box(value, path: []).finish()
    } catch let e as EncodingError {
        switch e {
        case .invalidValue(_, let ctx):
            throw JSONError(ctx.debugDescription, path: formatCodingPath(ctx.codingPath))
        @unknown default:
            throw JSONError("\(e)")
        }
    }
}

extension JSONError {
    /// Maps the errors that hand-written `init(from:)` code throws onto our path-carrying form.
    init(fromDecodingError e: DecodingError) {
        switch e {
        case .dataCorrupted(let ctx):
            self.init(ctx.debugDescription, path: formatCodingPath(ctx.codingPath))
        case .keyNotFound(let key, let ctx):
            self.init("missing required field", path: formatCodingPath(ctx.codingPath + [key]))
        case .typeMismatch(let t, let ctx):
            self.init("expected \(t): \(ctx.debugDescription)", path: formatCodingPath(ctx.codingPath))
        case .valueNotFound(let t, let ctx):
            self.init("expected \(t), found null", path: formatCodingPath(ctx.codingPath))
        @unknown default:
            self.init("\(e)")
        }
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        if let d = decoder as? JSONValueDecoder {
            self = d.value
            return
        }
        // Generic decoders: probe the shapes in turn.
        if var a = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !a.isAtEnd { items.append(try a.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        if let k = try? decoder.container(keyedBy: JSONKey.self) {
            var o = JSONObject()
            for key in k.allKeys { o[key.stringValue] = try k.decode(JSONValue.self, forKey: key) }
            self = .object(o)
            return
        }
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else { self = .string(try c.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        if let e = encoder as? JSONValueEncoder {
            e.node.kind = .value(self)
            return
        }
        switch self {
        case .null: var c = encoder.singleValueContainer(); try c.encodeNil()
        case .bool(let b): var c = encoder.singleValueContainer(); try c.encode(b)
        case .int(let i): var c = encoder.singleValueContainer(); try c.encode(i)
        case .double(let d): var c = encoder.singleValueContainer(); try c.encode(d)
        case .string(let s): var c = encoder.singleValueContainer(); try c.encode(s)
        case .array(let a):
            var c = encoder.unkeyedContainer()
            for v in a { try c.encode(v) }
        case .object(let o):
            var c = encoder.container(keyedBy: JSONKey.self)
            for (k, v) in o { try c.encode(v, forKey: JSONKey(k)) }
        }
    }
}
