#if canImport(Glibc)
import Glibc
#endif
import RktCommon
import RktOS

/// One image in the index (`rkt image list`).
public struct ImageInfo: Sendable, Equatable {
    public var key: String
    public var name: String
    /// Nanoseconds since the Unix epoch.
    public var importTime: Int64
    public var lastUsed: Int64
    public var latest: Bool
    /// Size of the stored uncompressed ACI in bytes.
    public var size: Int64
    /// Size of the rendered tree(s), 0 when not rendered.
    public var treeStoreSize: Int64
}

/// What `importACI` returns.
public struct ImportResult: Sendable {
    /// The store key: `sha512-` + the first 64 hex digits of the uncompressed tar's SHA-512.
    public var key: String
    public var manifest: ImageManifest
    /// The manifest exactly as it is in the image.
    public var manifestBytes: [UInt8]
}

/// The local image store under `<dataDir>/cas` (rkt: store/imagestore). Holds a shared flock on
/// `cas/` while open, so a future migration can take it exclusively.
public final class ImageStore {
    public let dataDir: String
    public let casDir: String
    let db: StoreDB
    private let casLock: FileLock
    /// Manifests decoded by this process, by key: a run reads the app's manifest to fetch its
    /// dependencies, to build the pod manifest and to render it (an image's manifest never
    /// changes under its key).
    var manifests: [String: StoreManifest] = [:]

    /// Directory modes from rkt's data-dir contract: group `rkt` may fetch and list.
    static let groupDirs = ["db", "imagelocks", "imageManifest", "blob", "tmp"]
    static let privateDirs = ["tree", "treestorelocks"]

    public init(dataDir: String) throws {
        self.dataDir = dataDir
        self.casDir = dataDir + "/cas"
        do {
            try StoreFS.mkdirAll(casDir, mode: 0o2770)
            for d in ImageStore.groupDirs { try StoreFS.mkdirAll("\(casDir)/\(d)", mode: 0o2770) }
            for d in ImageStore.privateDirs { try StoreFS.mkdirAll("\(casDir)/\(d)", mode: 0o2700) }
            casLock = try FileLock.sharedLock(casDir, .directory)
            db = try StoreDB(path: "\(casDir)/db/rkt.sqlite")
        } catch {
            throw RktError("cannot open image store \(casDir)", cause: error)
        }
        cleanTemporaries()
    }

    // MARK: paths

    static func shard(_ key: String) -> String {
        let hex = key.dropFirst("sha512-".count)
        return String(hex.prefix(2))
    }

    public func blobPath(key: String) -> String { "\(casDir)/blob/sha512/\(ImageStore.shard(key))/\(key)" }
    func manifestPath(key: String) -> String { "\(casDir)/imageManifest/sha512/\(ImageStore.shard(key))/\(key)" }
    func imageLockPath(key: String) -> String { "\(casDir)/imagelocks/\(key)" }
    var tmpDir: String { "\(casDir)/tmp" }

    /// A locked temp file in `cas/tmp`: the flock marks it live, so `cleanTemporaries` in another
    /// process never removes a file that is still being written.
    func makeTemporary(prefix: String) throws -> (path: String, lock: FileLock) {
        for _ in 0..<16 {
            let path = "\(tmpDir)/\(prefix)-\(StoreFS.randomHex(12))"
            let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
            if fd < 0 {
                if errno == EEXIST { continue }
                throw RktError.errno("cannot create temporary file", path)
            }
            let lock = FileLock(adopting: fd, path: path)
            try lock.exclusive()
            // A cleaner may have unlinked the file between open and flock; check it is still ours.
            var a = stat(), b = stat()
            if fstat(fd, &a) == 0, stat(path, &b) == 0, a.st_ino == b.st_ino { return (path, lock) }
        }
        throw RktError("cannot create temporary file in \(tmpDir)")
    }

    /// Removes leftovers of killed imports: any file in `cas/tmp` nobody holds a lock on.
    func cleanTemporaries() {
        guard let names = try? FileSystem.listDirectory(tmpDir) else { return }
        for n in names {
            let p = "\(tmpDir)/\(n)"
            var st = stat()
            guard lstat(p, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFREG {
                if let held = try? FileLock(path: p, kind: .regularFile, followSymlinks: false), (try? held.tryExclusive()) == true {
                    unlink(p)
                    _ = held
                }
            } else if (st.st_mode & S_IFMT) == S_IFDIR, n.hasPrefix("deleting-") {
                try? FileSystem.removeTree(p)
            }
        }
    }
}
