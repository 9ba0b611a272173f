import RktCommon
import RktJSON
import RktOS

/// An app's cgroup limits (appc-docker-cni.md §4.2); requests are ignored, as in rkt.
public struct CgroupLimits: Sendable, Equatable {
    public var memoryBytes: Int64?
    /// CPU quota in µs per 100 ms period (millicores × 100).
    public var cpuQuotaMicros: Int64?
    public var cpuShares: Int64?
    public var oomScoreAdj: Int?

    public init() {}

    public static func plan(_ isolators: [IsolatorSpec]) throws -> CgroupLimits {
        var l = CgroupLimits()
        for i in isolators {
            switch i.name {
            case "resource/memory":
                if let q = i.value["limit"]?.stringValue ?? i.value["limit"]?.int64Value.map(String.init) {
                    l.memoryBytes = try Quantity.value(q)
                }
            case "resource/cpu":
                if let q = i.value["limit"]?.stringValue ?? i.value["limit"]?.int64Value.map(String.init) {
                    let milli = try Quantity.milliValue(q)
                    if milli < 10 { throw RktError("cpu limit \(q) is below the minimum of 10m") }
                    l.cpuQuotaMicros = milli * 100
                }
            case "os/linux/cpu-shares":
                l.cpuShares = i.value.int64Value
            case "os/linux/oom-score-adj":
                l.oomScoreAdj = i.value.intValue
            default: continue
            }
        }
        return l
    }

    /// Creates the app cgroup `relative` and writes its knobs. A missing controller only warns,
    /// as rkt does ("isolator set but support disabled in the kernel").
    public static func apply(_ l: CgroupLimits, host: CgroupHost, relative: String) throws {
        try host.create(relative)
        let v2 = host.unifiedRoot != nil
        func knob(_ controller: String, _ name: String, _ value: String, isolator: String) throws {
            guard let dir = host.directory(relative, controller: controller) else {
                Log.warn("warning: \(isolator) isolator set but support disabled in the kernel, skipping")
                return
            }
            try Cgroup.write(dir, name, value)
        }
        if let m = l.memoryBytes {
            try knob("memory", v2 ? "memory.max" : "memory.limit_in_bytes", String(m), isolator: "resource/memory")
        }
        if let q = l.cpuQuotaMicros {
            if v2 {
                try knob("cpu", "cpu.max", "\(q) 100000", isolator: "resource/cpu")
            } else {
                try knob("cpu", "cpu.cfs_period_us", "100000", isolator: "resource/cpu")
                try knob("cpu", "cpu.cfs_quota_us", String(q), isolator: "resource/cpu")
            }
        }
        if let s = l.cpuShares {
            // v2: systemd's linear mapping of shares to weight (1024 → 100), clamped to 1…10000.
            let value = v2 ? String(min(10000, max(1, s * 100 / 1024))) : String(s)
            try knob("cpu", v2 ? "cpu.weight" : "cpu.shares", value, isolator: "os/linux/cpu-shares")
        }
    }
}

/// appc resource quantities (`128Mi`, `500m`, `1.5Gi`), rounded up like the Go library.
public enum Quantity {
    static let suffixes: [(String, Double)] = [
        ("Ki", 1024), ("Mi", 1_048_576), ("Gi", 1_073_741_824), ("Ti", 1_099_511_627_776),
        ("Pi", 1_125_899_906_842_624), ("Ei", 1_152_921_504_606_846_976),
        ("n", 1e-9), ("u", 1e-6), ("m", 1e-3), ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12),
        ("P", 1e15), ("E", 1e18),
    ]

    /// The value in base units ×1000, rounded up.
    public static func milliValue(_ s: String) throws -> Int64 {
        var number = Substring(s)
        var mult = 1.0
        for (suf, m) in suffixes where s.hasSuffix(suf) {
            number = s.dropLast(suf.count)
            mult = m
            break
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." }),
            number.filter({ $0 == "." }).count <= 1, let v = Double(number)
        else { throw RktError("invalid quantity \(s)") }
        let milli = (v * mult * 1000).rounded(.up)
        guard milli < 9.2e18 else { throw RktError("quantity \(s) is too large") }
        return Int64(milli)
    }

    /// The value in base units, rounded up.
    public static func value(_ s: String) throws -> Int64 {
        let m = try milliValue(s)
        return (m + 999) / 1000
    }
}
