#if canImport(Glibc)
import Glibc
#endif
import CShim
import RktCommon
import RktOS

/// Rendered images under `cas/tree/<id>/` (rkt: store/treestore): `rootfs/` with the image and
/// its dependencies layered, `manifest`, a content `hash`, the `rendered` marker and `image`.
/// Pods use `rootfs/` as an overlay lower dir.
public final class TreeStore {
    let store: ImageStore

    public init(store: ImageStore) { self.store = store }

    var treeDir: String { "\(store.casDir)/tree" }
    public func path(_ id: String) -> String { "\(treeDir)/\(id)" }
    public func rootfsPath(_ id: String) -> String { "\(treeDir)/\(id)/rootfs" }
    func lockPath(_ id: String) -> String { "\(store.casDir)/treestorelocks/\(id)" }

    /// `deps-` + key-style hash of the comma-joined keys of the rendering list.
    public func calculateID(key: String) throws -> String {
        TreeStore.id(for: try dependencyList(key: key).map { $0.key })
    }

    static func id(for keys: [String]) -> String {
        // Bytes appended by hand: `joined(separator:)` instantiates generic metadata on first use.
        var bytes: [UInt8] = []
        for (i, key) in keys.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: key.utf8)
        }
        let digest = SHA512Digest.hash(data: bytes)
        return "deps-sha512-" + StoreFS.hex(digest).prefix(64)
    }

    public func isRendered(_ id: String) -> Bool { StoreFS.exists("\(path(id))/rendered") }

    /// Renders `key` with its dependencies and returns the tree ID. Safe across processes: the
    /// exclusive tree lock serialises renders, and a second renderer finds `rendered` and returns.
    @discardableResult
    public func render(key: String, rebuild: Bool = false) throws -> String {
        do {
            let list = try dependencyList(key: key)
            let id = TreeStore.id(for: list.map { $0.key })
            let lock = try FileLock.keyFile(lockPath(id), exclusive: true)
            defer { _ = lock }
            if !rebuild, isRendered(id) { return id }
            let dir = path(id)
            try FileSystem.removeTree(dir)
            if mkdir(dir, 0o755) != 0 { throw RktError.errno("cannot create tree", dir) }
            _ = chmod(dir, 0o755)
            let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard dfd >= 0 else { throw RktError.errno("cannot open tree", dir) }
            defer { close(dfd) }
            if mkdirat(dfd, "rootfs", 0o755) != 0 { throw RktError.errno("cannot create", "\(dir)/rootfs") }
            try store.renderLayers(list, into: "\(dir)/rootfs")
            try StoreFS.writeFileAtomic("\(dir)/manifest", list[0].manifest.bytes, mode: 0o644)
            let (hash, size) = try TreeStore.contentHash(dir)
            try StoreFS.writeFileAtomic("\(dir)/hash", Array(hash.utf8), mode: 0o644)
            _ = rkt_syncfs(dfd)
            try StoreFS.writeFileAtomic("\(dir)/rendered", [], mode: 0o644)
            try StoreFS.writeFileAtomic("\(dir)/image", Array(key.utf8), mode: 0o644)
            try? store.setTreeStoreSize(key: key, size: size + Int64(hash.utf8.count + key.utf8.count))
            return id
        } catch {
            throw RktError("cannot render image \(key)", cause: error)
        }
    }

    /// Recomputes the content hash of a rendered tree and compares it with `hash`.
    public func verify(_ id: String) throws {
        let dir = path(id)
        guard isRendered(id) else { throw RktError("tree \(id) is not rendered") }
        let want = String(decoding: try StoreFS.readFile("\(dir)/hash"), as: UTF8.self)
        let (got, _) = try TreeStore.contentHash(dir)
        guard got == want else { throw RktError("tree \(id) verification failed", causes: ["content hash mismatch"]) }
    }

    /// The image key a tree was rendered for (`image` file).
    public func imageKey(_ id: String) throws -> String {
        String(decoding: try StoreFS.readFile("\(path(id))/image"), as: UTF8.self)
    }

    /// Removes a tree under its exclusive lock: the `rendered` marker goes first, then the tree is
    /// renamed into `cas/tmp` and deleted, so a reader never sees a half-deleted tree as valid.
    public func remove(_ id: String) throws {
        let lock = try FileLock.keyFile(lockPath(id), exclusive: true)
        defer { _ = lock }
        let dir = path(id)
        guard StoreFS.exists(dir) else { return }
        unlink("\(dir)/rendered")
        let trash = "\(store.tmpDir)/deleting-\(StoreFS.randomHex(8))"
        if rename(dir, trash) != 0 { throw RktError.errno("cannot remove tree", dir) }
        try FileSystem.removeTree(trash)
    }

    /// Every tree directory, rendered or partial.
    public func allIDs() throws -> [String] {
        try FileSystem.listDirectory(treeDir).filter { $0.hasPrefix("deps-") }.sorted()
    }
}
