import CCap
import Glibc
import RktCommon

/// Capability names and sets. Names are parsed with libcap in the parent; the child only ever
/// sees the resulting bitmasks (`CapabilityMasks`).
public enum Capabilities {
    /// appc's default bounding set for apps without a capability isolator (rkt-architecture.md §4.3).
    public static let defaultSet: [String] = [
        "CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
        "CAP_KILL", "CAP_MKNOD", "CAP_NET_RAW", "CAP_NET_BIND_SERVICE", "CAP_SETUID",
        "CAP_SETGID", "CAP_SETPCAP", "CAP_SETFCAP", "CAP_SYS_CHROOT",
    ]

    /// The kernel's number for `name` (`CAP_NET_ADMIN` or `net_admin`, any case).
    public static func number(_ name: String) throws -> Int {
        var lower = name.lowercased()
        if !lower.hasPrefix("cap_") { lower = "cap_" + lower }
        var value: cap_value_t = 0
        guard cap_from_name(lower, &value) == 0, value >= 0, value < 64, value <= lastCap else {
            throw RktError("unknown capability \(name)")
        }
        return Int(value)
    }

    /// Bitmask of `names`; throws "unknown capability X" for a name the kernel does not know.
    public static func mask(_ names: [String]) throws -> UInt64 {
        try names.reduce(UInt64(0)) { $0 | (UInt64(1) << UInt64(try number($1))) }
    }

    /// The highest capability number the running kernel knows (`/proc/sys/kernel/cap_last_cap`).
    /// Read once per process: `number` checks every name of a set against it (pod-init read the
    /// file for each of an app's 14 default capabilities).
    public static let lastCap: Int32 = {
        guard let s = try? FileIO.readString("/proc/sys/kernel/cap_last_cap"),
            let n = Int32(s.trimmingSpaces())
        else { return 40 }
        return n
    }()

    /// Every capability the kernel knows (`--insecure-options=capabilities`).
    public static var allMask: UInt64 {
        let last = UInt64(max(0, min(63, lastCap)))
        return last == 63 ? UInt64.max : (UInt64(1) << (last + 1)) - 1
    }

    /// Lower-case names without the `cap_` prefix, in kernel numeric order (as `inspect` prints).
    public static func names(_ mask: UInt64) -> [String] {
        (0..<64).compactMap { bit -> String? in
            guard mask & (UInt64(1) << UInt64(bit)) != 0, let p = cap_to_name(cap_value_t(bit)) else { return nil }
            defer { cap_free(p) }
            let s = String(cString: p)
            return s.hasPrefix("cap_") ? String(s.dropFirst(4)) : s
        }
    }
}
