/// Archive path rules shared by import validation and extraction (appc: aci/file.go,
/// spec/aci.md; stricter than the Go lib, see appc-docker-cni.md §1.3).
package enum ACIPath {
    /// Cleans a tar name (`./rootfs//a/./b` → `rootfs/a/b`). Nil for names that are absolute or
    /// contain `..`: such names are never accepted, whatever they would clean to.
    package static func clean(_ raw: String) -> String? {
        if raw.hasPrefix("/") { return nil }
        var parts: [Substring] = []
        for c in raw.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == ".." { return nil }
            parts.append(c)
        }
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// `rootfs/a/b` → `a/b`; `rootfs` → `.`; nil for anything outside the rootfs.
    package static func rootfsRelative(_ clean: String) -> String? {
        if clean == "rootfs" { return "." }
        if clean.hasPrefix("rootfs/") { return String(clean.dropFirst("rootfs/".count)) }
        return nil
    }
}
