/// Errors from parsing, decoding and encoding JSON.
///
/// Syntax errors carry the byte offset into the input; decoding errors carry the coding path
/// in the dotted form people read in manifests (`app.exec[0]`).
public struct JSONError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    /// Byte offset of a syntax error in the input, if any.
    public var offset: Int?
    /// Dotted coding path of a decoding error, empty at the top level.
    public var path: String

    public init(_ message: String, offset: Int? = nil, path: String = "") {
        self.message = message
        self.offset = offset
        self.path = path
    }

    public var description: String {
        var out = path.isEmpty ? message : "\(path): \(message)"
        if let offset { out += " at offset \(offset)" }
        return out
    }
}

/// Renders a coding path as `app.exec[0]`: keys with an integer value are array indices.
public func formatCodingPath(_ path: [any CodingKey]) -> String {
    var out = ""
    for key in path {
        if let i = key.intValue {
            out += "[\(i)]"
        } else {
            if !out.isEmpty { out += "." }
            out += key.stringValue
        }
    }
    return out
}

/// The coding key our decoder and encoder use for object members and array indices.
public struct JSONKey: CodingKey, Sendable, Hashable {
    public var stringValue: String
    public var intValue: Int?

    public init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    public init(intValue: Int) {
        self.stringValue = "Index \(intValue)"
        self.intValue = intValue
    }

    public init(_ s: String) { self.init(stringValue: s) }

    static func index(_ i: Int) -> JSONKey { JSONKey(intValue: i) }
}
