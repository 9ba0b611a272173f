import Foundation

/// Human-readable sizes and times as rkt prints them (dustin/go-humanize and Go's time.Format).
public enum Humanize {
    /// go-humanize `IBytes`: `512 B`, `1.5 KiB`, `23 MiB`.
    public static func bytes(_ n: Int64) -> String {
        scaled(n, base: 1024, units: ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"])
    }

    /// go-humanize `Bytes` (powers of 1000): `1.2 MB`.
    public static func bytesSI(_ n: Int) -> String {
        scaled(Int64(n), base: 1000, units: ["B", "kB", "MB", "GB", "TB", "PB", "EB"])
    }

    static func scaled(_ n: Int64, base: Double, units: [String]) -> String {
        if n < 10 { return "\(n) B" }
        let value = Double(n)
        let exp = min(Int((log(value) / log(base)).rounded(.down)), units.count - 1)
        let v = (value / pow(base, Double(exp)) * 10 + 0.5).rounded(.down) / 10
        return String(format: v < 10 ? "%.1f" : "%.0f", v) + " " + units[exp]
    }

    /// go-humanize `Time`: `now`, `1 second ago`, `2 minutes ago`, `3 days from now`…
    public static func relative(_ then: Date, now: Date = Date()) -> String {
        var diff = now.timeIntervalSince(then)
        var label = "ago"
        if diff < 0 {
            diff = -diff
            label = "from now"
        }
        let d = Int64(diff.rounded(.towardZero))
        let minute: Int64 = 60, hour = 60 * minute, day = 24 * hour, week = 7 * day
        let month = 30 * day, year = 12 * month
        // (upper bound, format, divisor) — go-humanize's defaultMagnitudes.
        let table: [(Int64, String, Int64)] = [
            (1, "now", 1),
            (2, "1 second %@", 1),
            (minute, "%d seconds %@", 1),
            (2 * minute, "1 minute %@", 1),
            (hour, "%d minutes %@", minute),
            (2 * hour, "1 hour %@", 1),
            (day, "%d hours %@", hour),
            (2 * day, "1 day %@", 1),
            (week, "%d days %@", day),
            (2 * week, "1 week %@", 1),
            (month, "%d weeks %@", week),
            (2 * month, "1 month %@", 1),
            (year, "%d months %@", month),
            (18 * month, "1 year %@", 1),
            (2 * year, "2 years %@", 1),
            (37 * year, "%d years %@", year),
        ]
        for (bound, format, div) in table where d < bound {
            if format == "now" { return "now" }
            if format.contains("%d") {
                return format
                    .replacingOccurrences(of: "%d", with: String(d / div))
                    .replacingOccurrences(of: "%@", with: label)
            }
            return format.replacingOccurrences(of: "%@", with: label)
        }
        return "a long while \(label)"
    }

    /// Go layout `2006-01-02 15:04:05.999 -0700 MST` in local time: milliseconds with trailing
    /// zeros (and the dot) dropped, numeric offset, zone abbreviation.
    public static func rktTime(_ date: Date, timeZone: TimeZone = .current) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        var s = String(
            format: "%04ld-%02ld-%02ld %02ld:%02ld:%02ld", c.year ?? 0, c.month ?? 0, c.day ?? 0,
            c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
        let millis = (c.nanosecond ?? 0) / 1_000_000
        if millis > 0 {
            var frac = String(format: "%03ld", millis)
            while frac.hasSuffix("0") { frac.removeLast() }
            s += "." + frac
        }
        let offset = timeZone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        let a = abs(offset)
        s += " " + sign + String(format: "%02ld%02ld", a / 3600, (a % 3600) / 60)
        s += " " + zoneAbbreviation(date, timeZone)
        return s
    }

    /// Go prints the tz database abbreviation (`CEST`, `UTC`); Foundation on Linux gives
    /// `GMT+2`, so the local zone's name comes from libc like Go's does.
    static func zoneAbbreviation(_ date: Date, _ timeZone: TimeZone) -> String {
        if timeZone.identifier == TimeZone.current.identifier {
            var t = time_t(date.timeIntervalSince1970.rounded(.down))
            var tm = tm()
            if localtime_r(&t, &tm) != nil, let zone = tm.tm_zone {
                return String(cString: zone)
            }
        }
        if ["UTC", "GMT", "Etc/UTC", "Universal", "Zulu"].contains(timeZone.identifier) { return "UTC" }
        return timeZone.abbreviation(for: date) ?? "UTC"
    }
}
