/// Image IDs: `sha512-` + lowercase hex of the SHA-512 of the uncompressed tar
/// (appc-docker-cni.md §1.2), and the truncated forms rkt shows and stores.
public enum ImageID {
    public static let prefix = "sha512-"
    /// Hex digits in a full ID.
    public static let fullHexLength = 128
    /// Store key / pod manifest form: `sha512-` + 64 hex (71 characters).
    public static let storeKeyHexLength = 64
    /// `rkt fetch` output (appc ShortHash): 32 hex.
    public static let fetchHexLength = 32
    /// `rkt image list` / `rkt list` columns: 12 hex.
    public static let listHexLength = 12

    static func isLowerHex(_ s: Substring) -> Bool {
        s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// Accepts `sha512-` plus 2…128 lowercase hex digits (full IDs and every truncated form).
    public static func validate(_ id: String, path: String = "") throws {
        let parts = id.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw schemaError(path, "invalid image ID \"\(id)\": expected sha512-<hex>") }
        guard parts[0] == "sha512" else { throw schemaError(path, "unrecognized hash type \"\(parts[0])\" in image ID \"\(id)\"") }
        let hex = parts[1]
        guard (2...fullHexLength).contains(hex.count), isLowerHex(hex) else {
            throw schemaError(path, "invalid image ID \"\(id)\": expected 2 to 128 lowercase hex digits")
        }
    }

    public static func isValid(_ id: String) -> Bool { (try? validate(id)) != nil }

    /// Builds the full ID from a hex digest.
    public static func fromDigest(hex: String) -> String { prefix + hex.lowercased() }

    /// `sha512-` + the first `hexDigits` hex characters (the input may be shorter already).
    public static func truncated(_ id: String, hexDigits: Int) -> String {
        guard id.hasPrefix(prefix) else { return id }
        return String(id.prefix(prefix.count + hexDigits))
    }

    /// The 71-character store key rkt writes into pod manifests.
    public static func storeKey(_ id: String) -> String { truncated(id, hexDigits: storeKeyHexLength) }

    /// The 32-hex form `rkt fetch` prints.
    public static func fetchForm(_ id: String) -> String { truncated(id, hexDigits: fetchHexLength) }

    /// The 12-hex form list views print.
    public static func listForm(_ id: String) -> String { truncated(id, hexDigits: listHexLength) }

    /// Checks a user-supplied ID prefix the way rkt's `ResolveKey` does before the store
    /// lookup, and returns it cut to store-key length.
    public static func normalizePrefix(_ s: String) throws -> String {
        guard s.hasPrefix(prefix) else { throw RktError("wrong key prefix in \"\(s)\"") }
        let hex = s.dropFirst(prefix.count)
        guard hex.count >= 2 else { throw RktError("image ID too short: \"\(s)\"") }
        guard isLowerHex(hex) else { throw RktError("invalid image ID \"\(s)\": not lowercase hex") }
        return storeKey(s)
    }
}
