import RktJSON

/// The appc spec version this implementation writes (appc/spec VERSION 0.8.11).
public enum AppcVersion {
    public static let current = "0.8.11"
}

/// Helpers shared by every schema type: error construction with a field path and path joining.
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
