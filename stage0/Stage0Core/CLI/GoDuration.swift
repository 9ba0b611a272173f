import RktCommon

/// Go `time.ParseDuration` syntax, used by rkt's duration flags (`--grace-period=24h`, `0s`, `1h30m`).
public enum GoDuration {
    static let units: [(String, Double)] = [
        ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("μs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
    ]

    /// Seconds; `"0"` alone is allowed without a unit, as in Go.
    public static func parse(_ text: String) throws -> Double {
        var s = Substring(text)
        var sign = 1.0
        if s.first == "-" || s.first == "+" {
            if s.first == "-" { sign = -1 }
            s = s.dropFirst()
        }
        if s == "0" { return 0 }
        guard !s.isEmpty else { throw invalid(text) }
        var total = 0.0
        while !s.isEmpty {
            let number = s.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { throw invalid(text) }
            s = s.dropFirst(number.count)
            let unitText = s.prefix { !($0.isNumber || $0 == ".") }
            guard let unit = units.first(where: { $0.0 == unitText }) else {
                throw unitText.isEmpty
                    ? RktError("time: missing unit in duration \"\(text)\"")
                    : RktError("time: unknown unit \"\(unitText)\" in duration \"\(text)\"")
            }
            s = s.dropFirst(unitText.count)
            total += value * unit.1
        }
        return sign * total
    }

    static func invalid(_ text: String) -> RktError { RktError("time: invalid duration \"\(text)\"") }
}
