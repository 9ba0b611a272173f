/// Lexical path handling (no filesystem access), Go `filepath` semantics.
public enum PathUtil {
    /// `filepath.Clean`: collapses `//`, `.` and `..` (clamped at `/` for absolute paths).
    public static func clean(_ path: String) -> String {
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

    /// Joins with `/` and cleans, like `filepath.Join` (empty elements are skipped).
    public static func join(_ elements: String...) -> String { join(elements) }

    public static func join(_ elements: [String]) -> String {
        let nonEmpty = elements.filter { !$0.isEmpty }
        if nonEmpty.isEmpty { return "" }
        return clean(nonEmpty.joined(separator: "/"))
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
