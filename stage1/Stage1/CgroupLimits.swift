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

    public static func plan(_ isolators: [Isolator]) throws -> CgroupLimits {
        var l = CgroupLimits()
        for i in isolators {
            switch try i.typed(path: i.name) {
            case .memory(let r):
                if let q = r.limit { l.memoryBytes = q.bytes }
            case .cpu(let r):
                if let q = r.limit {
                    if q.milliValue < 10 { throw RktError("cpu limit \(q) is below the minimum of 10m") }
                    l.cpuQuotaMicros = q.milliValue * 100
                }
            case .cpuShares(let shares):
                l.cpuShares = Int64(shares)
            case .oomScoreAdj(let adj):
                l.oomScoreAdj = adj
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
