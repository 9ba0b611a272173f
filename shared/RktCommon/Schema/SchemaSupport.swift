import RktJSON

/// The appc spec version this implementation writes (appc/spec VERSION 0.8.11).
public enum AppcVersion {
    public static let current = "0.8.11"
}

/// Helpers shared by every schema type: error construction with a field path, path joining,
/// and the string-map coding Go uses for `userAnnotations`/`userLabels` (sorted keys).
enum SchemaPath {
    static func field(_ base: String, _ name: String) -> String { base.isEmpty ? name : "\(base).\(name)" }
    static func index(_ base: String, _ i: Int) -> String { "\(base)[\(i)]" }
    /// The path of the value a decoder is positioned at (`apps[0].app`).
    static func of(_ decoder: any Decoder) -> String { formatCodingPath(decoder.codingPath) }
}

/// A validation failure: `app.workingDirectory: must be an absolute path`.
func schemaError(_ path: String, _ reason: String) -> RktError {
    RktError(path.isEmpty ? reason : "\(path): \(reason)")
}

/// Go encodes maps with sorted keys; Swift dictionaries have no order, so sort explicitly.
func encodeStringMap<K: CodingKey>(_ map: [String: String], _ c: inout KeyedEncodingContainer<K>, forKey key: K) throws {
    guard !map.isEmpty else { return }
    var nested = c.nestedContainer(keyedBy: JSONKey.self, forKey: key)
    for k in map.keys.sorted() {
        try nested.encode(map[k] ?? "", forKey: JSONKey(k))
    }
}

func isAbsolutePath(_ p: String) -> Bool { p.utf8.first == UInt8(ascii: "/") }

/// Absolute and free of `.`/`..` components. A trailing `/` is tolerated because the spec's
/// own example whitelist contains `/etc/systemd/system/`.
func isSafeAbsolutePath(_ p: String) -> Bool {
    guard isAbsolutePath(p) else { return false }
    for part in p.split(separator: "/") where part == "." || part == ".." { return false }
    return true
}

/// Reports the first duplicate in `items` keyed by `key`, with its index.
func firstDuplicate<T>(_ items: [T], by key: (T) -> String) -> (Int, String)? {
    var seen = Set<String>()
    for (i, it) in items.enumerated() {
        let k = key(it)
        if !seen.insert(k).inserted { return (i, k) }
    }
    return nil
}
