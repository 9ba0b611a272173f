import RktJSON

/// A Kubernetes resource quantity as appc uses it (`500m`, `128M`, `1Gi`, `1e3`).
///
/// Fixed point, never floats: the value is kept as whole base units plus thousandths, rounded
/// up to the milli precision as Kubernetes does (`0.1m` → `1m`). Negative values and the
/// upper-case `K` suffix are rejected (appc-docker-cni.md §4.1). The original text is kept
/// so manifests round-trip unchanged.
public struct Quantity: Sendable, Hashable, CustomStringConvertible, Codable {
    /// The text as written.
    public let text: String
    /// Whole base units (rounded down).
    let whole: Int64
    /// Thousandths beyond `whole`, 0…999.
    let milliRemainder: Int64

    public init(_ text: String) throws {
        guard let (w, m) = Self.parse(text) else {
            throw RktError("invalid quantity \"\(text)\"")
        }
        self.text = text
        self.whole = w
        self.milliRemainder = m
    }

    /// A whole number of base units (bytes, cores…).
    public init(value: Int64) {
        self.text = String(value)
        self.whole = max(0, value)
        self.milliRemainder = 0
    }

    /// Base units, rounded up (Kubernetes `Value()`): bytes for memory.
    public var value: Int64 { milliRemainder > 0 && whole < Int64.max ? whole + 1 : whole }

    /// Same as `value`; reads better for memory limits.
    public var bytes: Int64 { value }

    /// Thousandths of the base unit (Kubernetes `MilliValue()`): millicores for CPU.
    /// Saturates at `Int64.max`; `milliValueOverflows` tells when that happened.
    public var milliValue: Int64 {
        let (m, o1) = whole.multipliedReportingOverflow(by: 1000)
        let (s, o2) = m.addingReportingOverflow(milliRemainder)
        return o1 || o2 ? Int64.max : s
    }

    public var milliValueOverflows: Bool { whole > (Int64.max - milliRemainder) / 1000 }

    public var isZero: Bool { whole == 0 && milliRemainder == 0 }

    public var description: String { text }

    /// Quantities are equal by value: `128974848`, `125952Ki` and `123Mi` are the same.
    public static func == (a: Quantity, b: Quantity) -> Bool { a.whole == b.whole && a.milliRemainder == b.milliRemainder }
    public func hash(into h: inout Hasher) {
        h.combine(whole)
        h.combine(milliRemainder)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        // Go's Quantity accepts a bare JSON number as well as a string.
        let s: String
        if let str = try? c.decode(String.self) {
            s = str
        } else if let i = try? c.decode(Int64.self) {
            s = String(i)
        } else {
            throw JSONError("expected quantity string", path: SchemaPath.of(decoder))
        }
        do {
            try self.init(s)
        } catch {
            throw schemaError(SchemaPath.of(decoder), "invalid quantity \"\(s)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }

    // MARK: parsing

    private static let decimalSuffixes: [String: Int] = [
        "n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18,
    ]
    private static let binarySuffixes: [String: Int] = ["Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60]

    private static func pow10(_ e: Int) -> UInt64? {
        guard e >= 0, e <= 19 else { return nil }
        var r: UInt64 = 1
        for _ in 0..<e { r *= 10 }
        return r
    }

    /// Returns (whole, milli remainder) or nil when `s` is not a valid non-negative quantity.
    static func parse(_ s: String) -> (Int64, Int64)? {
        var u = Substring(s).utf8[...]
        if u.first == UInt8(ascii: "+") { u = u.dropFirst() } else if u.first == UInt8(ascii: "-") { return nil }
        var n: UInt64 = 0
        var digits = 0
        var fracDigits = 0
        var sawDot = false
        var anyDigit = false
        while let c = u.first {
            if c >= 48 && c <= 57 {
                anyDigit = true
                // Only significant digits count toward the 19-digit budget.
                if n == 0 && c == 48 {
                    if sawDot { fracDigits += 1 }
                } else {
                    digits += 1
                    guard digits <= 19 else { return nil }
                    n = n * 10 + UInt64(c - 48)
                    if sawDot { fracDigits += 1 }
                }
                u = u.dropFirst()
            } else if c == UInt8(ascii: ".") && !sawDot {
                sawDot = true
                u = u.dropFirst()
            } else {
                break
            }
        }
        guard anyDigit else { return nil }
        guard fracDigits <= 18 else { return nil }
        let suffix = String(Substring(u))

        var numExp = 0  // power of ten multiplying the numerator
        var binShift = 0
        if let e = decimalSuffixes[suffix] {
            numExp = e
        } else if let b = binarySuffixes[suffix] {
            binShift = b
        } else if let f = suffix.utf8.first, f == UInt8(ascii: "e") || f == UInt8(ascii: "E") {
            let rest = suffix.dropFirst()
            var r = Substring(rest)
            if r.hasPrefix("+") || r.hasPrefix("-") { r = r.dropFirst() }
            guard !r.isEmpty, r.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let e = Int(rest), abs(e) <= 40 else { return nil }
            numExp = e
        } else {
            return nil
        }
        // value = n × 2^binShift × 10^numExp / 10^fracDigits
        var denExp = fracDigits
        if numExp < 0 { denExp -= numExp; numExp = 0 }
        var num: (high: UInt64, low: UInt64) = (0, n)
        if binShift > 0 {
            num = n.multipliedFullWidth(by: UInt64(1) << UInt64(binShift))
        }
        if numExp > 0 {
            guard num.high == 0, let p = pow10(numExp) else { return nil }
            num = num.low.multipliedFullWidth(by: p)
        }
        if denExp > 19 {
            // Tiny values: only the milli part can be non-zero, and 10^(denExp-3) must divide.
            guard num.high == 0 else { return nil }
            let shift = denExp - 3
            guard let d = pow10(shift) else { return (0, num.low > 0 ? 1 : 0) }
            let (q, r) = num.low.quotientAndRemainder(dividingBy: d)
            return (0, Int64(q + (r > 0 ? 1 : 0)))
        }
        guard let den = pow10(denExp) else { return nil }
        guard num.high < den else { return nil }  // quotient would not fit
        let (q, r) = den.dividingFullWidth(num)
        guard q <= UInt64(Int64.max) else { return nil }
        // milli remainder, rounded up
        let rm = r.multipliedFullWidth(by: 1000)
        let (mq, mr) = den.dividingFullWidth(rm)
        var whole = Int64(q)
        var milli = Int64(mq) + (mr > 0 ? 1 : 0)
        if milli == 1000 {
            guard whole < Int64.max else { return nil }
            whole += 1
            milli = 0
        }
        return (whole, milli)
    }
}
