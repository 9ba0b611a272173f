/// AC Identifier: image names and label, annotation and isolator names.
/// Full spec regex `^[a-z0-9]+([-._~/][a-z0-9]+)*$` (stricter than the Go lib, which lets
/// `a..b` through; see appc-docker-cni.md §0 and §10.1).
public enum ACIdentifier {
    static func isAlnum(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }
    static func isSeparator(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "~") || c == UInt8(ascii: "/")
    }

    /// Why `s` is not an AC Identifier, or nil when it is one.
    public static func problem(_ s: String) -> String? {
        problem(s, isSeparator: isSeparator, what: "lowercase letters, digits and -._~/")
    }

    static func problem(_ s: String, isSeparator: (UInt8) -> Bool, what: String) -> String? {
        let u = Array(s.utf8)
        guard let first = u.first, let last = u.last else { return "must not be empty" }
        for c in u where !isAlnum(c) && !isSeparator(c) {
            return "invalid character \(describeByte(c)) in \"\(s)\" (allowed: \(what))"
        }
        if !isAlnum(first) || !isAlnum(last) {
            return "\"\(s)\" must start and end with a lowercase letter or digit"
        }
        for i in 1..<u.count where isSeparator(u[i]) && isSeparator(u[i - 1]) {
            return "\"\(s)\" must not contain consecutive separators"
        }
        return nil
    }

    static func describeByte(_ c: UInt8) -> String {
        c >= 0x20 && c < 0x7f ? "'\(Character(Unicode.Scalar(c)))'" : "0x" + String(c, radix: 16)
    }

    public static func isValid(_ s: String) -> Bool { problem(s) == nil }

    /// Throws `RktError` naming `path` (or the value itself) when `s` is not an AC Identifier.
    public static func validate(_ s: String, path: String = "") throws {
        if let p = problem(s) { throw schemaError(path, "invalid AC identifier: \(p)") }
    }

    /// Lowercases, replaces invalid characters with `_`, collapses separator runs and strips
    /// separators at the edges: `EXAMPLE.com` → `example.com`, `-/app.name-test/-/` → `app.name-test`.
    /// Go's sanitizer keeps runs (`a::b` → `a__b`); we collapse them because our validation
    /// follows the stricter spec regex, and a sanitized name must validate.
    public static func sanitize(_ s: String) throws -> String {
        try sanitizeGeneric(s, replacement: UInt8(ascii: "_"), isSeparator: isSeparator, kind: "AC identifier")
    }

    static func sanitizeGeneric(_ s: String, replacement: UInt8, isSeparator: (UInt8) -> Bool, kind: String) throws -> String {
        var out: [UInt8] = []
        for c0 in s.lowercased().utf8 {
            let c = isAlnum(c0) || isSeparator(c0) ? c0 : replacement
            // Collapse runs of separators so the result matches the strict regex.
            if isSeparator(c), let last = out.last, isSeparator(last) { continue }
            out.append(c)
        }
        while let f = out.first, isSeparator(f) { out.removeFirst() }
        while let l = out.last, isSeparator(l) { out.removeLast() }
        guard !out.isEmpty else { throw RktError("cannot sanitize \"\(s)\" into an \(kind): nothing left") }
        return String(decoding: out, as: UTF8.self)
    }
}

/// AC Name: app, volume, mountPoint and port names (`^[a-z0-9]+([-][a-z0-9]+)*$`).
public enum ACName {
    static func isSeparator(_ c: UInt8) -> Bool { c == UInt8(ascii: "-") }

    public static func problem(_ s: String) -> String? {
        ACIdentifier.problem(s, isSeparator: isSeparator, what: "lowercase letters, digits and -")
    }

    public static func isValid(_ s: String) -> Bool { problem(s) == nil }

    public static func validate(_ s: String, path: String = "") throws {
        if let p = problem(s) { throw schemaError(path, "invalid AC name: \(p)") }
    }

    /// `My_App` → `my-app`.
    public static func sanitize(_ s: String) throws -> String {
        try ACIdentifier.sanitizeGeneric(s, replacement: UInt8(ascii: "-"), isSeparator: isSeparator, kind: "AC name")
    }

    /// rkt's default app name for an image: the last `/` component of the image name,
    /// sanitized as an AC Name (`coreos.com/etcd` → `etcd`, `example.com/My_App` → `my-app`).
    public static func defaultAppName(forImage imageName: String) throws -> String {
        let last = imageName.split(separator: "/").last.map(String.init) ?? imageName
        return try sanitize(last)
    }
}

/// acKind and acVersion checks.
public enum ACKind {
    public static let imageManifest = "ImageManifest"
    public static let podManifest = "PodManifest"

    public static func validate(_ kind: String, expected: String) throws {
        guard kind == expected else {
            throw schemaError("acKind", "missing or bad ACKind (must be \"\(expected)\")")
        }
    }
}

public enum ACVersion {
    /// Non-empty, semver 2.0, not 0.0.0, major version 0 (the only one this code knows).
    public static func validate(_ v: String, path: String = "acVersion") throws {
        guard !v.isEmpty else { throw schemaError(path, "acVersion must be set") }
        guard let (major, minor, patch) = parseSemVer(v) else {
            throw schemaError(path, "SemVer is bad: \"\(v)\"")
        }
        if major == 0 && minor == 0 && patch == 0 { throw schemaError(path, "SemVer cannot be zero") }
        if major != 0 { throw schemaError(path, "unsupported major version \(major) (supported: 0)") }
    }

    /// MAJOR.MINOR.PATCH[-prerelease][+build], numeric parts without leading zeros.
    public static func parseSemVer(_ v: String) -> (Int, Int, Int)? {
        var core = Substring(v)
        if let plus = core.firstIndex(of: "+") {
            let build = core[core.index(after: plus)...]
            guard validIdentifiers(build, numericNoLeadingZero: false) else { return nil }
            core = core[..<plus]
        }
        if let dash = core.firstIndex(of: "-") {
            let pre = core[core.index(after: dash)...]
            guard validIdentifiers(pre, numericNoLeadingZero: true) else { return nil }
            core = core[..<dash]
        }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var nums: [Int] = []
        for p in parts {
            guard !p.isEmpty, p.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), p == "0" || !p.hasPrefix("0"),
                let n = Int(p)
            else { return nil }
            nums.append(n)
        }
        return (nums[0], nums[1], nums[2])
    }

    private static func validIdentifiers(_ s: Substring, numericNoLeadingZero: Bool) -> Bool {
        let ids = s.split(separator: ".", omittingEmptySubsequences: false)
        for id in ids {
            guard !id.isEmpty else { return false }
            for c in id.utf8 {
                let ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == UInt8(ascii: "-")
                if !ok { return false }
            }
            if numericNoLeadingZero, id.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), id.count > 1, id.hasPrefix("0") {
                return false
            }
        }
        return true
    }
}
