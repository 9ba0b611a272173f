import RktCommon
import RktOS

/// The `--insecure-options` set (rkt: rkt/rkt.go `insecureOptions`). Parsed from rkt's comma list;
/// `ondisk` is accepted for compatibility and has no effect, as in rkt 1.30.
public struct InsecureOptions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let image = InsecureOptions(rawValue: 1 << 0)
    public static let tls = InsecureOptions(rawValue: 1 << 1)
    public static let onDisk = InsecureOptions(rawValue: 1 << 2)
    public static let http = InsecureOptions(rawValue: 1 << 3)
    public static let pubkey = InsecureOptions(rawValue: 1 << 4)
    public static let capabilities = InsecureOptions(rawValue: 1 << 5)
    public static let paths = InsecureOptions(rawValue: 1 << 6)
    public static let seccomp = InsecureOptions(rawValue: 1 << 7)

    public static let allFetch: InsecureOptions = [.image, .tls, .http, .pubkey]
    public static let allRun: InsecureOptions = [.capabilities, .paths, .seccomp]
    public static let all: InsecureOptions = [.allFetch, .allRun, .onDisk]

    /// Names in the order rkt lists them in its help text.
    public static let names: [(String, InsecureOptions)] = [
        ("none", []), ("image", .image), ("tls", .tls), ("ondisk", .onDisk), ("http", .http),
        ("pubkey", .pubkey), ("capabilities", .capabilities), ("paths", .paths),
        ("seccomp", .seccomp), ("all-fetch", .allFetch), ("all-run", .allRun), ("all", .all),
    ]

    /// Parses `image,tls` style lists; an unknown word is an error naming it (rkt's bitflags parser).
    public init(parsing list: String) throws {
        var set: InsecureOptions = []
        for raw in list.split(separator: ",", omittingEmptySubsequences: false) {
            let word = raw.trimmingSpaces().lowercased()
            guard let match = Self.names.first(where: { $0.0 == word }) else {
                let valid = Self.names.map(\.0).joined(separator: ", ")
                throw RktError("unknown insecure option \"\(word)\"; valid options are: \(valid)")
            }
            set.formUnion(match.1)
        }
        self = set
    }

    public var skipImageCheck: Bool { contains(.image) }
    public var skipTLSCheck: Bool { contains(.tls) }
    public var allowHTTP: Bool { contains(.http) }
    public var allowPubkeyOverHTTP: Bool { contains(.pubkey) }
    public var skipCapabilities: Bool { contains(.capabilities) }
    public var skipPaths: Bool { contains(.paths) }
    public var skipSeccomp: Bool { contains(.seccomp) }
}
