#if canImport(Glibc)
import Glibc
#endif
import RktCommon
import RktOS

/// Checks an ACI's layout entry by entry as the import streams it (appc-docker-cni.md §1.3).
package struct ACILayoutValidator {
    package static let maxManifestSize = 1 << 20
    private var seen: Set<String> = []
    private var dirs: Set<String> = []
    private var symlinks: Set<String> = []
    private(set) var manifest: [UInt8]?
    private var rootfsFound = false

    private func invalid(_ why: String) -> RktError { RktError("invalid image layout", causes: [why]) }

    /// Validates one header; returns true when the entry is the manifest (caller reads it).
    package mutating func check(_ e: TarEntry) throws -> Bool {
        guard let name = ACIPath.clean(e.path) else { throw invalid("unsafe file path in archive: \(e.path)") }
        if name == "." {
            guard e.type == S_IFDIR, e.hardlink == nil else { throw invalid("unrecognized file path in layout: \(e.path)") }
            return false
        }
        guard name == "manifest" || ACIPath.rootfsRelative(name) != nil else {
            throw invalid("unrecognized file path in layout: \(name)")
        }
        guard seen.insert(name).inserted else { throw invalid("duplicate file entry in archive: \(name)") }
        // Stricter than rkt: an entry beneath a symlink of the same archive would be written
        // through it; extraction keeps it inside the rootfs anyway, but such images are refused.
        if !symlinks.isEmpty {
            var p = Substring(name)
            while let slash = p.lastIndex(of: "/") {
                p = p[..<slash]
                if symlinks.contains(String(p)) { throw invalid("file entry \(name) is beneath symlink \(p)") }
            }
        }
        if let link = e.hardlink {
            guard name != "manifest" else { throw invalid("image manifest is not a regular file") }
            guard let target = ACIPath.clean(link), target.hasPrefix("rootfs/"), seen.contains(target), !dirs.contains(target), target != name else {
                throw invalid("invalid hardlink \(name) -> \(link)")
            }
            return false
        }
        switch e.type {
        case S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO: break
        default: throw invalid("unsupported type of \(name)")
        }
        if name == "manifest" {
            guard e.type == S_IFREG else { throw invalid("image manifest is not a regular file") }
            guard e.size <= ACILayoutValidator.maxManifestSize else { throw invalid("image manifest larger than 1 MiB") }
            return true
        }
        if name == "rootfs" {
            guard e.type == S_IFDIR else { throw invalid("rootfs is not a directory") }
        }
        rootfsFound = true
        if e.type == S_IFDIR { dirs.insert(name) }
        if e.type == S_IFLNK { symlinks.insert(name) }
        return false
    }

    package mutating func setManifest(_ bytes: [UInt8]) { manifest = bytes }

    func finish() throws -> [UInt8] {
        guard let manifest else { throw invalid("no image manifest found in layout") }
        guard rootfsFound else { throw invalid("no rootfs found in layout") }
        return manifest
    }
}

extension ImageStore {
    /// Imports an ACI file (gzip, bzip2, xz or plain tar, detected by content).
    public func importACI(path: String, latest: Bool = false) throws -> ImportResult {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RktError.errno("cannot open image", path) }
        defer { close(fd) }
        return try importACI(fd: fd, source: path, latest: latest)
    }

    /// Imports an ACI read from `fd` (a file or a download pipe); `fd` stays open.
    ///
    /// One pass: decompress → SHA-512 → copy into `cas/tmp` → validate the layout. Only a valid
    /// image is moved into place, under its exclusive key lock; a failure or a kill leaves at
    /// most a temp file that the next store open removes.
    public func importACI(fd: Int32, source: String, latest: Bool = false) throws -> ImportResult {
        do {
            let tmp = try makeTemporary(prefix: "import")
            var committed = false
            defer { if !committed { unlink(tmp.path) } }
            let stream = try TarStream(fd: fd, source: source, copyTo: (tmp.lock.fd, tmp.path))
            var validator = ACILayoutValidator()
            while let e = try stream.next() {
                if try validator.check(e) {
                    validator.setManifest(try stream.readData(limit: ACILayoutValidator.maxManifestSize))
                }
            }
            let digest = try stream.finish()
            let manifest = try StoreManifest(bytes: try validator.finish())
            let key = "sha512-" + digest.prefix(64)

            let lock = try FileLock.keyFile(imageLockPath(key: key), exclusive: true)
            defer { _ = lock }
            let blob = blobPath(key: key)
            try StoreFS.mkdirAll(StoreFS.dirname(of: blob), mode: 0o2770)
            let mpath = manifestPath(key: key)
            try StoreFS.mkdirAll(StoreFS.dirname(of: mpath), mode: 0o2770)
            if rename(tmp.path, blob) != 0 { throw RktError.errno("cannot move image into place", blob) }
            committed = true
            try StoreFS.writeFileAtomic(mpath, manifest.bytes, mode: 0o640)
            try upsertImage(key: key, manifest: manifest, size: stream.size, latest: latest)
            return ImportResult(key: key, manifest: manifest.image, manifestBytes: manifest.bytes)
        } catch {
            throw RktError("cannot import image \(source)", cause: error)
        }
    }
}
