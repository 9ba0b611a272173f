#if canImport(Glibc)
import Glibc
#endif
import RktCommon
import RktOS

/// What an image argument of `fetch`/`run`/`prepare` names (rkt: rkt/image/common.go
/// `DistFromImageString`, finder.go).
public enum ImageReference: Equatable, Sendable {
    /// `sha512-…` (possibly a prefix): looked up in the store only, whatever the pull policy.
    case hash(String)
    /// A local ACI file, made absolute (`/x.aci`, `./x.aci`, `x.aci`, `file:///x.aci`).
    case file(path: String)
    /// An `http(s)://…/x.aci` archive.
    case url(String)
    /// `docker://…` or `docker:…`, the part after the scheme.
    case docker(String)
    /// An appc name with optional version and labels: `example.com/app:1.0,os=linux`.
    case name(AppName)

    /// Classifies `image` the way rkt does; `cwd` and `fileExists` are injectable for tests.
    public static func classify(
        _ image: String,
        cwd: String = (try? ProcessOps.getcwd()) ?? "/",
        isRegularFile: (String) -> Bool = ImageReference.isRegularFile
    ) throws -> ImageReference {
        if isHash(image) { return .hash(image.lowercased()) }
        let scheme: String?
        do {
            scheme = try goURLScheme(image)
        } catch {
            throw RktError("failed to parse image url \"\(image)\"", cause: error)
        }
        switch scheme {
        case nil:
            if guessIsPath(image, isRegularFile: isRegularFile) {
                return .file(path: absolute(image, cwd: cwd))
            }
            return .name(try AppName(parsing: image))
        case let s? where s == "file" || s == "http" || s == "https":
            let path = urlPath(String(image.dropFirst(s.count + 1)))
            guard path.hasSuffix(".aci") else { throw RktError("invalid image string \"\(image)\"") }
            if s == "file" {
                guard path.hasPrefix("/") else {
                    throw RktError("invalid image string \"\(image)\"", causes: ["file url must name an absolute path"])
                }
                return .file(path: percentDecoded(path) ?? path)
            }
            return .url(image)
        case "docker":
            var rest = String(image.dropFirst("docker:".count))
            if rest.hasPrefix("//") { rest.removeFirst(2) }
            return .docker(rest)
        default:
            // Any other scheme is an appc name with a version, e.g. `busybox:latest`.
            return .name(try AppName(parsing: image))
        }
    }

    /// `sha512-` followed by hex digits (any length; the store resolves prefixes).
    public static func isHash(_ s: String) -> Bool {
        let lower = s.lowercased()
        guard lower.hasPrefix("sha512-") else { return false }
        let hex = lower.dropFirst("sha512-".count)
        return !hex.isEmpty && hex.allSatisfy { $0.isHexDigit }
    }

    /// Go's `url.Parse` scheme rule: letters, then letters/digits/`+-.`, up to the first `:`.
    /// Any other character before a `:` means there is no scheme.
    static func goURLScheme(_ s: String) throws -> String? {
        for (i, c) in s.enumerated() {
            if c.isASCII && c.isLetter { continue }
            if c.isASCII && (c.isNumber || c == "+" || c == "-" || c == ".") {
                if i == 0 { return nil }
                continue
            }
            if c == ":" {
                if i == 0 { throw RktError("missing protocol scheme") }
                return String(s.prefix(i)).lowercased()
            }
            return nil
        }
        return nil
    }

    /// rkt's `guessAppcOrPath` heuristics, in its order.
    static func guessIsPath(_ s: String, isRegularFile: (String) -> Bool) -> Bool {
        if s.hasPrefix("/") { return true }
        if isRegularFile(s) { return true }
        if s.contains(":") { return false }
        if s.contains("./") { return true }
        return PathUtil.basename(s).hasSuffix(".aci")
    }

    /// `%XX` escapes decoded, as Go's url.Parse does for a path; nil when an escape is malformed
    /// or the result is not UTF-8.
    static func percentDecoded(_ s: String) -> String? {
        let bytes = Array(s.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let hi = hex(bytes[i + 1]), let lo = hex(bytes[i + 2]) else { return nil }
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    /// The path part of `//host/path?query#frag` (or of an opaque `path`).
    static func urlPath(_ rest: String) -> String {
        var s = Substring(rest)
        if let q = s.firstIndex(where: { $0 == "?" || $0 == "#" }) { s = s[..<q] }
        if s.hasPrefix("//") {
            let afterSlashes = s.dropFirst(2)
            guard let slash = afterSlashes.firstIndex(of: "/") else { return "" }
            return String(afterSlashes[slash...])
        }
        return String(s)
    }

    static func absolute(_ path: String, cwd: String) -> String {
        let joined = path.hasPrefix("/") ? path : cwd + "/" + path
        return PathUtil.clean(joined)
    }

    public static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }
}

/// An appc image name with labels (appc discovery `NewAppFromString`): `name[:version][,k=v…]`.
public struct AppName: Equatable, Sendable, CustomStringConvertible {
    public var name: String
    /// Labels in the order given; `version` comes from `:version`.
    public var labels: [String: String]

    public init(name: String, labels: [String: String] = [:]) {
        self.name = name
        self.labels = labels
    }

    public init(parsing s: String) throws {
        var parts = s.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var first = parts.removeFirst()
        var labels: [String: String] = [:]
        // A `:` after the last `/` separates the version (a host port has a `/` after it).
        if let colon = first.lastIndex(of: ":"), !first[colon...].contains("/") {
            labels["version"] = String(first[first.index(after: colon)...])
            first = String(first[..<colon])
        }
        for p in parts {
            let kv = p.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, !kv[0].isEmpty else {
                throw RktError("invalid appc image string \"\(s)\"", causes: ["malformed label \"\(p)\""])
            }
            guard labels[kv[0]] == nil else {
                throw RktError("invalid appc image string \"\(s)\"", causes: ["label \"\(kv[0])\" provided multiple times"])
            }
            labels[kv[0]] = kv[1]
        }
        guard !first.isEmpty else { throw RktError("invalid appc image string \"\(s)\"", causes: ["empty name"]) }
        self.name = first
        self.labels = labels
    }

    /// `name:version` when a version label is present, as rkt prints names.
    public var description: String {
        guard let v = labels["version"] else { return name }
        return "\(name):\(v)"
    }
}
