#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A pod UUID (RFC 4122). rkt generates random version-4 UUIDs and prints them in the
/// canonical lower-case 8-4-4-4-12 form.
public struct PodUUID: Sendable, Hashable, CustomStringConvertible, Codable {
    public let bytes: [UInt8]

    /// From 16 raw bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (either case), or the 32 hex digits
    /// without dashes. The all-zero UUID is rejected, as the appc lib does.
    public init(_ s: String) throws {
        let u = Array(s.utf8)
        var hex: [UInt8] = []
        if u.count == 36 {
            for (i, c) in u.enumerated() {
                if [8, 13, 18, 23].contains(i) {
                    guard c == UInt8(ascii: "-") else { throw RktError("invalid UUID \"\(s)\"") }
                } else {
                    hex.append(c)
                }
            }
        } else if u.count == 32 {
            hex = u
        } else {
            throw RktError("invalid UUID \"\(s)\"")
        }
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for i in stride(from: 0, to: 32, by: 2) {
            guard let hi = Self.hexValue(hex[i]), let lo = Self.hexValue(hex[i + 1]) else {
                throw RktError("invalid UUID \"\(s)\"")
            }
            out.append(hi << 4 | lo)
        }
        guard out.contains(where: { $0 != 0 }) else { throw RktError("invalid UUID \"\(s)\": all zero") }
        self.bytes = out
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }

    /// A random version-4 UUID. The stdlib's system generator reads getrandom(2) on Linux
    /// (the kernel CSPRNG), which is what we want without a C shim in this Foundation-free target.
    public static func random() -> PodUUID {
        var g = SystemRandomNumberGenerator()
        var b = [UInt8](repeating: 0, count: 16)
        for i in 0..<2 {
            let w = g.next()
            for j in 0..<8 { b[i * 8 + j] = UInt8(truncatingIfNeeded: w >> (UInt64(j) * 8)) }
        }
        b[6] = (b[6] & 0x0f) | 0x40  // version 4
        b[8] = (b[8] & 0x3f) | 0x80  // RFC 4122 variant
        return PodUUID(uncheckedBytes: b)
    }

    private init(uncheckedBytes: [UInt8]) { self.bytes = uncheckedBytes }

    /// Canonical lower-case form.
    public var description: String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The 32 hex digits without dashes (systemd machine IDs, `rkt-<uuid>` hostnames use dashes).
    public var hexString: String { description.filter { $0 != "-" } }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        try self.init(c.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
