/// Limits that keep a hostile document from exhausting the stack or memory.
public enum JSONLimits {
    /// Nesting depth of arrays and objects. Manifests nest a handful of levels.
    public static let maxDepth = 512
    /// Largest input accepted (image configs and manifests are far smaller).
    public static let maxBytes = 256 << 20
}

/// Parses one JSON document (RFC 8259, strict): no comments, no trailing commas, no leading
/// zeros, no control characters inside strings, valid UTF-8, nothing but whitespace after it.
public func parseJSON(_ bytes: [UInt8], maxDepth: Int = JSONLimits.maxDepth) throws -> JSONValue {
    guard bytes.count <= JSONLimits.maxBytes else {
        throw JSONError("document too large (\(bytes.count) bytes, limit \(JSONLimits.maxBytes))")
    }
    return try bytes.withUnsafeBufferPointer { buf in
        var p = JSONParser(buf: buf, maxDepth: maxDepth)
        p.skipWhitespace()
        let v = try p.parseValue(depth: 0)
        p.skipWhitespace()
        if p.pos < buf.count {
            throw p.error("unexpected \(p.describe(buf[p.pos])) after top-level value")
        }
        return v
    }
}

public func parseJSON(_ string: String, maxDepth: Int = JSONLimits.maxDepth) throws -> JSONValue {
    try parseJSON(Array(string.utf8), maxDepth: maxDepth)
}

struct JSONParser {
    let buf: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var pos = 0

    init(buf: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.buf = buf
        self.maxDepth = maxDepth
    }

    func error(_ msg: String, at offset: Int? = nil) -> JSONError {
        JSONError(msg, offset: offset ?? pos)
    }

    func describe(_ c: UInt8) -> String {
        if c >= 0x20 && c < 0x7f { return "character '\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x" + String(c, radix: 16)
    }

    mutating func skipWhitespace() {
        while pos < buf.count {
            switch buf[pos] {
            case 0x20, 0x09, 0x0a, 0x0d: pos += 1
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int) throws -> JSONValue {
        guard pos < buf.count else { throw error("unexpected end of input") }
        switch buf[pos] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected \(describe(buf[pos])) looking for beginning of value")
        }
    }

    mutating func expectLiteral(_ lit: StaticString) throws {
        let start = pos
        let n = lit.utf8CodeUnitCount
        guard buf.count - pos >= n else { throw error("unexpected end of input", at: start) }
        let l = lit.utf8Start
        for i in 0..<n where buf[pos + i] != l[i] {
            throw error("invalid literal, expected \(lit)", at: start)
        }
        pos += n
    }

    mutating func parseObject(depth: Int) throws -> JSONValue {
        guard depth <= maxDepth else { throw error("exceeded maximum nesting depth \(maxDepth)") }
        pos += 1
        var obj = JSONObject()
        skipWhitespace()
        if pos < buf.count, buf[pos] == UInt8(ascii: "}") { pos += 1; return .object(obj) }
        while true {
            skipWhitespace()
            guard pos < buf.count else { throw error("unexpected end of input in object") }
            guard buf[pos] == UInt8(ascii: "\"") else {
                throw error("unexpected \(describe(buf[pos])) looking for beginning of object key string")
            }
            let key = try parseString()
            skipWhitespace()
            guard pos < buf.count else { throw error("unexpected end of input in object") }
            guard buf[pos] == UInt8(ascii: ":") else {
                throw error("unexpected \(describe(buf[pos])) after object key")
            }
            pos += 1
            skipWhitespace()
            obj[key] = try parseValue(depth: depth)
            skipWhitespace()
            guard pos < buf.count else { throw error("unexpected end of input in object") }
            switch buf[pos] {
            case UInt8(ascii: ","): pos += 1
            case UInt8(ascii: "}"): pos += 1; return .object(obj)
            default: throw error("unexpected \(describe(buf[pos])) after object key:value pair")
            }
        }
    }

    mutating func parseArray(depth: Int) throws -> JSONValue {
        guard depth <= maxDepth else { throw error("exceeded maximum nesting depth \(maxDepth)") }
        pos += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if pos < buf.count, buf[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            guard pos < buf.count else { throw error("unexpected end of input in array") }
            switch buf[pos] {
            case UInt8(ascii: ","): pos += 1
            case UInt8(ascii: "]"): pos += 1; return .array(items)
            default: throw error("unexpected \(describe(buf[pos])) after array element")
            }
        }
    }

    mutating func parseNumber() throws -> JSONValue {
        let start = pos
        var negative = false
        if buf[pos] == UInt8(ascii: "-") { negative = true; pos += 1 }
        guard pos < buf.count, isDigit(buf[pos]) else { throw error("invalid number: expected digit", at: pos) }
        var isInteger = true
        if buf[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < buf.count, isDigit(buf[pos]) { throw error("invalid number: leading zero", at: start) }
        } else {
            while pos < buf.count, isDigit(buf[pos]) { pos += 1 }
        }
        if pos < buf.count, buf[pos] == UInt8(ascii: ".") {
            isInteger = false
            pos += 1
            guard pos < buf.count, isDigit(buf[pos]) else { throw error("invalid number: expected digit after decimal point") }
            while pos < buf.count, isDigit(buf[pos]) { pos += 1 }
        }
        if pos < buf.count, buf[pos] == UInt8(ascii: "e") || buf[pos] == UInt8(ascii: "E") {
            isInteger = false
            pos += 1
            if pos < buf.count, buf[pos] == UInt8(ascii: "+") || buf[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < buf.count, isDigit(buf[pos]) else { throw error("invalid number: expected digit in exponent") }
            while pos < buf.count, isDigit(buf[pos]) { pos += 1 }
        }
        if isInteger {
            // Accumulate negatively so that Int64.min is representable.
            var acc: Int64 = 0
            var overflow = false
            for i in (negative ? start + 1 : start)..<pos {
                let d = Int64(buf[i] &- UInt8(ascii: "0"))
                let (m, o1) = acc.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.subtractingReportingOverflow(d)
                if o1 || o2 { overflow = true; break }
                acc = s
            }
            if !overflow {
                if negative { return .int(acc) }
                if acc != Int64.min { return .int(-acc) }
            }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
        guard let d = Double(text), d.isFinite else { throw error("number \(text) out of range", at: start) }
        return .double(d)
    }

    @inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    mutating func parseString() throws -> String {
        let start = pos
        pos += 1
        // Fast path: no escapes, so the bytes can be validated and copied in one go.
        var i = pos
        var high: UInt8 = 0
        while i < buf.count {
            let c = buf[i]
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 { break }
            high |= c
            i += 1
        }
        guard i < buf.count else { throw error("unexpected end of input in string", at: start) }
        if buf[i] == UInt8(ascii: "\"") {
            let slice = UnsafeBufferPointer(rebasing: buf[pos..<i])
            // Pure ASCII needs no validation, and that is nearly every string in a manifest.
            if high < 0x80 {
                pos = i + 1
                return String(decoding: slice, as: UTF8.self)
            }
            guard let s = String(validating: slice, as: UTF8.self) else {
                throw error("invalid UTF-8 in string", at: start)
            }
            pos = i + 1
            return s
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(i - pos + 16)
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[pos..<i]))
        pos = i
        while true {
            guard pos < buf.count else { throw error("unexpected end of input in string", at: start) }
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                pos += 1
                break
            } else if c < 0x20 {
                throw error("invalid control character \(describe(c)) in string")
            } else if c == UInt8(ascii: "\\") {
                pos += 1
                guard pos < buf.count else { throw error("unexpected end of input in string escape") }
                let e = buf[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""): bytes.append(0x22)
                case UInt8(ascii: "\\"): bytes.append(0x5c)
                case UInt8(ascii: "/"): bytes.append(0x2f)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0c)
                case UInt8(ascii: "n"): bytes.append(0x0a)
                case UInt8(ascii: "r"): bytes.append(0x0d)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        // A high surrogate needs its low half; a lone half becomes U+FFFD as in Go.
                        if pos + 1 < buf.count, buf[pos] == UInt8(ascii: "\\"), buf[pos + 1] == UInt8(ascii: "u") {
                            let save = pos
                            pos += 2
                            let low = try parseHex4()
                            if low >= 0xDC00 && low < 0xE000 {
                                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                scalar = 0xFFFD
                                pos = save
                            }
                        } else {
                            scalar = 0xFFFD
                        }
                    } else if scalar >= 0xDC00 && scalar < 0xE000 {
                        scalar = 0xFFFD
                    }
                    let us = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    bytes.append(contentsOf: Array(String(Character(us)).utf8))
                default:
                    throw error("invalid escape character \(describe(e)) in string", at: pos - 1)
                }
            } else {
                bytes.append(c)
                pos += 1
            }
        }
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw error("invalid UTF-8 in string", at: start)
        }
        return s
    }

    mutating func parseHex4() throws -> UInt32 {
        guard buf.count - pos >= 4 else { throw error("unexpected end of input in \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = buf[pos]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid \(describe(c)) in \\u hexadecimal character escape")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }
}
