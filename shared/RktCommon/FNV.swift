/// 64-bit FNV-1a: a stable, dependency-free name for a key (iptables chains, precompiled seccomp
/// filters). Not a cryptographic hash: whoever uses it for a file name still compares the key.
public enum FNV1a {
    public static func hash64<S: Sequence>(_ bytes: S) -> UInt64 where S.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }

    /// 16 lower-case hex digits.
    public static func hex64<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let hex = String(hash64(bytes), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
