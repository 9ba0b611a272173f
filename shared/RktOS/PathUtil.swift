/// Lexical path handling (no filesystem access), Go `filepath` semantics.
public enum PathUtil {
    /// `filepath.Clean`: collapses `//`, `.` and `..` (clamped at `/` for absolute paths).
    public static func clean(_ path: String) -> String {
        isClean(path) ? path : cleanBySplitting(path)
    }

    /// `clean` the long way: split into elements, drop `.`, resolve `..`, join.
    static func cleanBySplitting(_ path: String) -> String {
        if path.isEmpty { return "." }
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for comp in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch comp {
            case ".": continue
            case "..":
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                } else if !absolute {
                    parts.append(comp)
                }
            default: parts.append(comp)
            }
        }
        let body = parts.joined(separator: "/")
        if absolute { return "/" + body }
        return body.isEmpty ? "." : body
    }

    /// Whether `clean` would return `path` unchanged: no empty, `.` or `..` element and no
    /// trailing slash. Most paths are, and one pass over the bytes is much cheaper than splitting
    /// (init and pod-init join thousands of paths).
    static func isClean(_ path: String) -> Bool {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        var first = true
        var length = 0
        var onlyDots = true
        for c in path.utf8 {
            if c == slash {
                // An element ends here: it must not be empty (`//`) or `.`/`..` (a leading `/`
                // ends no element).
                if !first && (length == 0 || (onlyDots && length <= 2)) { return false }
                length = 0
                onlyDots = true
            } else {
                length += 1
                if c != dot { onlyDots = false }
            }
            first = false
        }
        if first { return false }  // ""
        if length == 0 { return path == "/" }  // a trailing slash
        return !(onlyDots && length <= 2)
    }

    /// Joins with `/` and cleans, like `filepath.Join` (empty elements are skipped).
    public static func join(_ elements: String...) -> String { join(elements) }

    public static func join(_ elements: [String]) -> String {
        // One `/` between elements, not `a/` + `/` + `/b`: `clean` then takes its one-scan path
        // for the usual `join(root, "/etc/hosts")` instead of splitting (same result either way).
        var out = ""
        for e in elements where !e.isEmpty {
            if out.isEmpty { out = e; continue }
            if out.utf8.last != UInt8(ascii: "/") { out += "/" }
            // String + String: appending a Substring goes through unspecialized generic code.
            out += e.utf8.first == UInt8(ascii: "/") ? String(e.drop(while: { $0 == "/" })) : e
        }
        return out.isEmpty ? "" : clean(out)
    }

    /// Splits into (directory, last element); the directory keeps no trailing slash except `/`.
    public static func split(_ path: String) -> (dir: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        let dir = String(path[..<slash])
        let base = String(path[path.index(after: slash)...])
        return (dir.isEmpty ? "/" : dir, base)
    }

    public static func dirname(_ path: String) -> String {
        let (dir, _) = split(clean(path))
        return dir.isEmpty ? "." : dir
    }

    public static func basename(_ path: String) -> String {
        let cleaned = clean(path)
        if cleaned == "/" { return "/" }
        return split(cleaned).base
    }

    /// True when `path` equals `root` or lies beneath it (both cleaned, lexical only).
    public static func isWithin(_ path: String, root: String) -> Bool {
        let p = clean(path), r = clean(root)
        if r == "/" { return p.hasPrefix("/") }
        return p == r || p.hasPrefix(r + "/")
    }
}
