#if canImport(Glibc)
import Glibc
#endif
import RktCommon
import RktOS

extension ImageStore {
    /// Opens a stored blob for reading under a shared image key lock.
    func openBlob(key: String) throws -> (fd: FileHandleFD, lock: FileLock) {
        let lock = try FileLock.keyFile(imageLockPath(key: key), exclusive: false)
        let p = blobPath(key: key)
        let fd = open(p, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RktError.errno("cannot open image blob", p) }
        return (FileHandleFD(fd), lock)
    }

    /// Re-hashes a stored blob and compares it with its key (`rkt image verify`). Renders and
    /// extractions trust the blob, as rkt did: it was hashed on import, and hashing 200 MB again
    /// on every render would double its cost.
    public func verifyBlob(key: String) throws {
        let (fd, lock) = try openBlob(key: key)
        defer { _ = lock }
        let stream = try TarStream(fd: fd.fd, source: blobPath(key: key))
        while try stream.next() != nil {}
        let digest = try stream.finish()
        guard "sha512-" + digest.prefix(64) == key else {
            throw RktError("image hash does not match expected", causes: ["image \(key) is corrupted"])
        }
    }

    /// Layers a rendering list into `rootfs` (an existing directory), base image first, with
    /// overwrite semantics: the upper image replaces what lower ones put at the same path, so
    /// each blob is read exactly once.
    func renderLayers(_ list: [DepImage], into rootfs: String) throws {
        let rfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rfd >= 0 else { throw RktError.errno("cannot open", rootfs) }
        defer { close(rfd) }
        for img in list.reversed() {
            let own = Set(img.manifest.pathWhitelist)
            let governing = img.governingWhitelist
            let (fd, lock) = try openBlob(key: img.key)
            defer { _ = lock }
            let stream = try TarStream(fd: fd.fd, source: blobPath(key: img.key), hashing: false)
            let extractor = ACIExtractor(rootFD: rfd, overwrite: true)
            try extractor.extractAll(stream, scope: .rootfsOnly) { rel, e in
                let abs = rel == "." ? "/" : "/" + rel
                // A whitelist in an ancestor governs everything below it, directories included.
                if let governing { return governing.contains(abs) }
                // The image's own whitelist filters its non-directories only.
                if !own.isEmpty, e.type != S_IFDIR || e.hardlink != nil { return own.contains(abs) }
                return true
            }
            try? markUsed(key: img.key)
        }
    }

    /// Refuses an existing target unless `overwrite`, in which case it is removed first.
    private func prepareTarget(_ path: String, overwrite: Bool) throws {
        guard StoreFS.exists(path) else { return }
        guard overwrite else { throw RktError("\(path) already exists", causes: ["target exists (try --overwrite)"]) }
        try FileSystem.removeTree(path)
    }

    /// `rkt image extract`: the single image (no dependencies) into `dir`.
    public func extract(key: String, to dir: String, rootfsOnly: Bool, overwrite: Bool) throws {
        do {
            try prepareTarget(dir, overwrite: overwrite)
            if mkdir(dir, 0o755) != 0 { throw RktError.errno("cannot create", dir) }
            let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard dfd >= 0 else { throw RktError.errno("cannot open", dir) }
            defer { close(dfd) }
            let (fd, lock) = try openBlob(key: key)
            defer { _ = lock }
            let stream = try TarStream(fd: fd.fd, source: blobPath(key: key), hashing: false)
            try ACIExtractor(rootFD: dfd, overwrite: false).extractAll(stream, scope: rootfsOnly ? .rootfsOnly : .whole)
            try? markUsed(key: key)
        } catch {
            throw RktError("cannot extract image \(key) to \(dir)", cause: error)
        }
    }

    /// `rkt image render`: the image with its dependencies layered, into `dir` (`rootfs/` and
    /// `manifest`, or the rootfs contents alone).
    public func renderTo(key: String, dir: String, rootfsOnly: Bool, overwrite: Bool) throws {
        do {
            let list = try TreeStore(store: self).dependencyList(key: key)
            try prepareTarget(dir, overwrite: overwrite)
            if mkdir(dir, 0o755) != 0 { throw RktError.errno("cannot create", dir) }
            if rootfsOnly {
                try renderLayers(list, into: dir)
            } else {
                if mkdir("\(dir)/rootfs", 0o755) != 0 { throw RktError.errno("cannot create", "\(dir)/rootfs") }
                try renderLayers(list, into: "\(dir)/rootfs")
                try StoreFS.writeFileAtomic("\(dir)/manifest", list[0].manifest.bytes, mode: 0o644)
            }
        } catch {
            throw RktError("cannot render image \(key) to \(dir)", cause: error)
        }
    }

    /// `rkt image export`: the stored uncompressed ACI, byte for byte (its SHA-512 is the image ID).
    public func export(key: String, to path: String, overwrite: Bool) throws {
        do {
            if StoreFS.exists(path), !overwrite {
                throw RktError("\(path) already exists", causes: ["output ACI file exists (try --overwrite)"])
            }
            let (src, lock) = try openBlob(key: key)
            defer { _ = lock }
            let tmp = "\(StoreFS.dirname(of: path))/.rkt-export-\(StoreFS.randomHex(8))"
            let out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard out >= 0 else { throw RktError.errno("cannot create", tmp) }
            var done = false
            defer {
                close(out)
                if !done { unlink(tmp) }
            }
            try copyAll(from: src.fd, to: out, path: tmp)
            if rename(tmp, path) != 0 { throw RktError.errno("cannot rename \(tmp) to", path) }
            done = true
            try? markUsed(key: key)
        } catch {
            throw RktError("cannot export image \(key) to \(path)", cause: error)
        }
    }

    private func copyAll(from src: Int32, to dst: Int32, path: String) throws {
        var buf = [UInt8](repeating: 0, count: 1 << 18)
        while true {
            let n = buf.withUnsafeMutableBytes { read(src, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RktError.errno("cannot read image blob")
            }
            if n == 0 { return }
            try buf.withUnsafeBytes { try StoreFS.writeAll(fd: dst, UnsafeRawBufferPointer(rebasing: $0[0..<n]), path: path) }
        }
    }
}
