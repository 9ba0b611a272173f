#if canImport(Glibc)
import Glibc
#endif
import CShim
import RktCommon
import RktOS
import Stage0Core

/// Applies Docker/OCI layer tarballs, base first, onto a rootfs directory (image-spec
/// layer.md; appc-docker-cni.md §7.3 with its "Do:" notes).
///
/// Each layer is read twice: the first pass collects its whiteouts and applies them to what the
/// lower layers left, the second extracts its files. Whiteouts therefore only ever hide lower
/// layers, as the OCI rules say, even when the same layer re-creates the path. Extraction goes
/// through `ACIExtractor`, which resolves every parent inside the root, so no entry can escape.
///
/// A lower layer's symlink is never written through: when an upper entry's parent path crosses
/// one, the symlink is replaced by a new directory holding only the upper entries, which is what
/// Docker's overlay2 (and containerd's overlayfs snapshotter) show, since each layer is unpacked
/// into its own directory and stacked. Symlinks made by the same layer resolve inside the root.
final class LayerApplier {
    let rootPath: String
    private let rootFD: Int32

    /// `rootPath` must be an existing, empty directory.
    init(rootPath: String) throws {
        self.rootPath = rootPath
        rootFD = open(rootPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { throw RktError.errno("cannot open rootfs", rootPath) }
    }

    deinit { close(rootFD) }

    /// What one tar entry means for the layer.
    enum Entry: Equatable {
        case file(String)
        /// `.wh.NAME`: delete NAME (and everything under it) from the lower layers.
        case whiteout(String)
        /// `DIR/.wh..wh..opq`: delete every lower-layer entry under DIR, keep DIR.
        case opaque(String)
        /// Other `.wh..wh.` AUFS bookkeeping entries, or the root itself: nothing to do.
        case ignored
    }

    /// Classifies a raw tar path; throws for unsafe or malformed names.
    static func classify(_ raw: String) throws -> Entry {
        // Layer tars use both `a/b` and `./a/b`, and some tools write `/a/b`.
        var trimmed = Substring(raw)
        while trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        guard let clean = ACIPath.clean(String(trimmed)) else {
            throw RktError("invalid layer entry \"\(raw)\"", causes: ["path escapes the root"])
        }
        if clean == "." { return .ignored }
        let (parent, leaf) = split(clean)
        guard leaf.hasPrefix(".wh.") else {
            if clean.contains("/.wh.") {
                throw RktError("invalid layer entry \"\(raw)\"", causes: ["whiteout used as a directory"])
            }
            return .file(clean)
        }
        if leaf == ".wh..wh..opq" { return .opaque(parent) }
        if leaf.hasPrefix(".wh..wh.") { return .ignored }
        let name = String(leaf.dropFirst(".wh.".count))
        guard !name.isEmpty, name != ".", name != ".." else {
            throw RktError("invalid layer entry \"\(raw)\"", causes: ["malformed whiteout"])
        }
        return .whiteout(parent == "." ? name : "\(parent)/\(name)")
    }

    static func split(_ rel: String) -> (parent: String, leaf: String) {
        guard let slash = rel.lastIndex(of: "/") else { return (".", rel) }
        return (String(rel[..<slash]), String(rel[rel.index(after: slash)...]))
    }

    /// Applies one layer file (gzip, bzip2, xz or plain tar).
    func apply(layerPath: String) throws {
        do {
            try applyWhiteouts(layerPath)
            try extractFiles(layerPath)
        } catch {
            throw RktError("cannot apply layer \(layerPath)", cause: error)
        }
    }

    private func openStream(_ path: String) throws -> (TarStream, Int32)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RktError.errno("cannot open layer", path) }
        var st = stat()
        // An empty blob is a valid empty layer; so is a bare end-of-archive marker.
        if fstat(fd, &st) == 0, st.st_size == 0 || LayerApplier.isAllZero(fd, size: st.st_size) {
            close(fd)
            return nil
        }
        do {
            return (try TarStream(fd: fd, source: path), fd)
        } catch {
            close(fd)
            throw error
        }
    }

    static func isAllZero(_ fd: Int32, size: off_t) -> Bool {
        guard size <= 10240 else { return false }
        var buf = [UInt8](repeating: 1, count: Int(size))
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        return n == Int(size) && buf.allSatisfy { $0 == 0 }
    }

    private func applyWhiteouts(_ path: String) throws {
        guard let opened = try openStream(path) else { return }
        let (stream, fd) = opened
        defer { close(fd) }
        var whiteouts: [Entry] = []
        while let e = try stream.next() {
            switch try LayerApplier.classify(e.path) {
            case .whiteout, .opaque: whiteouts.append(try LayerApplier.classify(e.path))
            case .file(let p):
                if p == "dev", e.type != S_IFDIR || e.hardlink != nil {
                    throw RktError("invalid layer: \"/dev\" is not a directory")
                }
            case .ignored: break
            }
        }
        _ = try stream.finish()
        for w in whiteouts {
            switch w {
            case .whiteout(let p):
                try shadowLowerSymlinks(onParentsOf: p, madeByThisLayer: [])
                try remove(p, keepSelf: false)
            case .opaque(let p):
                if p != "." { try shadowLowerSymlinks(onParentsOf: p + "/.wh..wh..opq", madeByThisLayer: []) }
                try remove(p, keepSelf: true)
            default: break
            }
        }
    }

    /// Replaces every lower-layer symlink among the parents of `rel` by an empty directory
    /// (overlay semantics, see the type comment). Stops at a missing component (the extractor
    /// creates the rest) and at one this layer made (resolved in the root like any other path).
    private func shadowLowerSymlinks(onParentsOf rel: String, madeByThisLayer made: Set<String>) throws {
        let parents = rel.split(separator: "/").dropLast()
        guard !parents.isEmpty else { return }
        var dfd = fcntl(rootFD, F_DUPFD_CLOEXEC, 0)
        guard dfd >= 0 else { throw RktError.errno("cannot open rootfs", rootPath) }
        defer { close(dfd) }
        var prefix = ""
        for c in parents.map(String.init) {
            prefix = prefix.isEmpty ? c : prefix + "/" + c
            if made.contains(prefix) { return }
            var st = stat()
            guard fstatat(dfd, c, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: break
            case S_IFLNK:
                guard unlinkat(dfd, c, 0) == 0 else { throw RktError.errno("cannot remove lower-layer symlink", prefix) }
                guard mkdirat(dfd, c, 0o755) == 0 else { throw RktError.errno("mkdir", prefix) }
            default: return  // a file: extracting under it fails with ENOTDIR, naming the path
            }
            let next = openat(dfd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else { throw RktError.errno("cannot open directory", prefix) }
            close(dfd)
            dfd = next
        }
    }

    /// Removes `rel` (or only its children) inside the root; a missing path is fine.
    private func remove(_ rel: String, keepSelf: Bool) throws {
        if keepSelf {
            let dfd = openInRoot(rel)
            guard dfd >= 0 else {
                if errno == ENOENT || errno == ENOTDIR { return }
                throw RktError.errno("cannot open directory", rel)
            }
            defer { close(dfd) }
            for name in try FileSystem.listDirectory(fd: dfd, what: rel) {
                try FileSystem.removeTree(at: dfd, name, what: rel + "/" + name)
            }
            return
        }
        let (parent, leaf) = LayerApplier.split(rel)
        let pfd = openInRoot(parent)
        guard pfd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return }
            throw RktError.errno("cannot open directory", parent)
        }
        defer { close(pfd) }
        var st = stat()
        guard fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        try FileSystem.removeTree(at: pfd, leaf, what: rel)
    }

    private func openInRoot(_ rel: String) -> Int32 {
        if rel == "." { return fcntl(rootFD, F_DUPFD_CLOEXEC, 0) }
        return rkt_openat2(rootFD, rel, UInt64(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), 0, RKT_RESOLVE_IN_ROOT | RKT_RESOLVE_NO_MAGICLINKS)
    }

    private func extractFiles(_ path: String) throws {
        guard let opened = try openStream(path) else { return }
        let (stream, fd) = opened
        defer { close(fd) }
        let extractor = ACIExtractor(rootFD: rootFD, overwrite: true)
        var made: Set<String> = []
        var checkedParent: Substring? = nil
        while let e = try stream.next() {
            guard case .file(let rel) = try LayerApplier.classify(e.path) else { continue }
            let parent = rel.lastIndex(of: "/").map { rel[..<$0] }
            if let parent, parent != checkedParent {
                try shadowLowerSymlinks(onParentsOf: rel, madeByThisLayer: made)
                checkedParent = parent
            }
            made.insert(rel)
            var target: String? = nil
            if let link = e.hardlink {
                guard case .file(let t) = try LayerApplier.classify(link) else {
                    throw RktError("invalid hardlink \(e.path) -> \(link)")
                }
                target = t
            }
            try extractor.extract(e, at: rel, linkTarget: target, stream: stream)
        }
        _ = try stream.finish()
        try extractor.finish()
    }

    /// The `/dev` symlinks docker2aci adds to every image unless it has them (§7.3).
    func addDevLinks() throws {
        let links = [("stdin", "/proc/self/fd/0"), ("stdout", "/dev/console"), ("stderr", "/dev/console"), ("fd", "/proc/self/fd")]
        if mkdirat(rootFD, "dev", 0o755) != 0, errno != EEXIST { throw RktError.errno("mkdir", "dev") }
        let dfd = openInRoot("dev")
        guard dfd >= 0 else { throw RktError.errno("cannot open directory", "dev") }
        defer { close(dfd) }
        for (name, target) in links {
            var st = stat()
            if fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 { continue }
            if symlinkat(target, dfd, name) != 0 { throw RktError.errno("symlink", "dev/\(name)") }
        }
    }
}
