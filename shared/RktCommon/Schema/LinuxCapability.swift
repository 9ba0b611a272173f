/// Linux capability names, in kernel number order (linux/capability.h), and the default
/// bounding set rkt gives an app without a capability isolator.
public enum LinuxCapability {
    public static let all: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    private static let numbers: [String: Int] = {
        var m: [String: Int] = [:]
        for (i, n) in all.enumerated() { m[n] = i }
        return m
    }()

    /// The 14 capabilities an app keeps by default (appc-docker-cni.md §4).
    public static let defaultBoundingSet: [String] = [
        "CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_KILL", "CAP_MKNOD",
        "CAP_NET_RAW", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETFCAP",
        "CAP_SYS_CHROOT",
    ]

    /// Accepts the canonical `CAP_X` spelling only (rkt's flags upper-case and prefix first).
    public static func isKnown(_ name: String) -> Bool { numbers[name] != nil }

    /// Kernel capability number, e.g. `CAP_SYS_ADMIN` → 21.
    public static func number(_ name: String) -> Int? { numbers[name] }

    /// `net_admin`, `NET_ADMIN` or `CAP_NET_ADMIN` → `CAP_NET_ADMIN`, as rkt's `--caps-retain` does.
    public static func normalize(_ flag: String) -> String {
        let up = flag.uppercased()
        return up.hasPrefix("CAP_") ? up : "CAP_" + up
    }
}
