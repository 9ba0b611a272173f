/// Serialization in the exact shape Go's `encoding/json` produces, so files we write look like
/// the ones rkt wrote: compact `json.Marshal` or `json.MarshalIndent(v, "", "    ")`, the same
/// string escapes (HTML-safe `<>&`, U+2028/U+2029) and the same number formatting.
extension JSONValue {
    public func serialized(pretty: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        JSONWriter.write(self, into: &out, pretty: pretty, indent: 0)
        return out
    }

    public func serializedString(pretty: Bool = false) -> String {
        String(decoding: serialized(pretty: pretty), as: UTF8.self)
    }
}

enum JSONWriter {
    static func write(_ v: JSONValue, into out: inout [UInt8], pretty: Bool, indent: Int) {
        switch v {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): out.append(contentsOf: formatDouble(d).utf8)
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            if a.isEmpty { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (i, e) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(&out, indent + 1) }
                write(e, into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { newline(&out, indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            if o.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            var first = true
            for (k, e) in o {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                if pretty { newline(&out, indent + 1) }
                writeString(k, into: &out)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(UInt8(ascii: " ")) }
                write(e, into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { newline(&out, indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func newline(_ out: inout [UInt8], _ level: Int) {
        out.append(0x0a)
        for _ in 0..<(level * 4) { out.append(0x20) }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        var s = s
        s.withUTF8 { buf in
            var i = 0
            var runStart = 0
            while i < buf.count {
                let c = buf[i]
                var escape: StaticString? = nil
                var hexEscape = false
                switch c {
                case 0x22: escape = "\\\""
                case 0x5c: escape = "\\\\"
                case 0x0a: escape = "\\n"
                case 0x0d: escape = "\\r"
                case 0x09: escape = "\\t"
                case 0x3c, 0x3e, 0x26, 0x00..<0x20: hexEscape = true
                case 0xE2:
                    // U+2028 and U+2029 break JavaScript parsers; Go escapes them.
                    if i + 2 < buf.count, buf[i + 1] == 0x80, buf[i + 2] == 0xA8 || buf[i + 2] == 0xA9 {
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[runStart..<i]))
                        out.append(contentsOf: (buf[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                        i += 3
                        runStart = i
                        continue
                    }
                default: break
                }
                if escape != nil || hexEscape {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[runStart..<i]))
                    if let escape {
                        out.append(contentsOf: UnsafeBufferPointer(start: escape.utf8Start, count: escape.utf8CodeUnitCount))
                    } else {
                        out.append(contentsOf: "\\u00".utf8)
                        out.append(hex[Int(c >> 4)])
                        out.append(hex[Int(c & 0xf)])
                    }
                    runStart = i + 1
                }
                i += 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[runStart..<buf.count]))
        }
        out.append(0x22)
    }

    /// Go's float64 formatting: shortest round-trip digits, plain notation for
    /// 1e-6 ≤ |d| < 1e21, otherwise exponent form (`1e-7`, `1e+21`).
    static func formatDouble(_ d: Double) -> String {
        if d == 0 { return d.sign == .minus ? "-0" : "0" }
        let (negative, digits, exp10) = shortestDigits(d)
        let sign = negative ? "-" : ""
        let a = abs(d)
        // exp10 is the exponent of the first digit: value = 0.d1d2… × 10^(exp10+1)
        if a >= 1e-6 && a < 1e21 {
            let pointPos = exp10 + 1  // digits before the decimal point
            if pointPos <= 0 {
                return sign + "0." + String(repeating: "0", count: -pointPos) + digits
            } else if pointPos >= digits.count {
                return sign + digits + String(repeating: "0", count: pointPos - digits.count)
            } else {
                let idx = digits.index(digits.startIndex, offsetBy: pointPos)
                return sign + digits[..<idx] + "." + digits[idx...]
            }
        }
        var mant = String(digits.prefix(1))
        if digits.count > 1 { mant += "." + digits.dropFirst() }
        let e = exp10
        // Go pads the exponent to two digits, then encoding/json strips the pad of negative ones.
        let es = e < 0 ? "-" + String(-e) : "+" + (e < 10 ? "0" : "") + String(e)
        return sign + mant + "e" + es
    }

    /// Decimal digits (no leading/trailing zeros) and the power of ten of the first digit,
    /// taken from Swift's shortest round-trip `description`.
    static func shortestDigits(_ d: Double) -> (Bool, String, Int) {
        var s = Substring(abs(d).description)
        var exp = 0
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exp = Int(s[s.index(after: e)...]) ?? 0
            s = s[..<e]
        }
        var intPart = s
        var frac: Substring = ""
        if let dot = s.firstIndex(of: ".") {
            intPart = s[..<dot]
            frac = s[s.index(after: dot)...]
        }
        var all = String(intPart) + String(frac)
        var firstExp = intPart.count - 1 + exp
        while all.hasPrefix("0") && all.count > 1 {
            all.removeFirst()
            firstExp -= 1
        }
        while all.hasSuffix("0") && all.count > 1 { all.removeLast() }
        return (d.sign == .minus, all, firstExp)
    }
}
