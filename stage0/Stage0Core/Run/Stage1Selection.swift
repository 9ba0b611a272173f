import RktCommon
import RktOS

/// Finds the stage1 image and returns its store key (rkt: rkt/stage1hash.go).
///
/// Order: a `--stage1-*` flag (no second chances); else the `stage1.d` name+version looked up in
/// the store, then its location; else the build default `stage1.aci` next to the rkt binary.
/// An image from the rkt binary's directory is trusted: imported without signature checks.
/// Stage1 images are fetched without dependencies.
public struct Stage1Selection {
    /// Build-time defaults: our full stage1 flavor, versioned like rkt itself.
    public static let defaultName = "coreos.com/rkt/stage1-swift"
    public static var defaultVersion: String { RktVersion.string }
    public static let defaultFileName = "stage1.aci"

    public let context: Stage0Context
    public let store: ImageStore
    /// What fetches a stage1 that is not a trusted local file.
    public let images: any ImageSource
    /// Directory of the running rkt binary (`/proc/self/exe`), the default stage1 location.
    public var rktDir: String

    public init(context: Stage0Context, store: ImageStore, images: any ImageSource, rktDir: String? = nil) {
        self.context = context
        self.store = store
        self.images = images
        self.rktDir = rktDir ?? Self.executableDir()
    }

    public static func executableDir() -> String {
        let exe = (try? FileSystem.readlink("/proc/self/exe")) ?? CommandLine.arguments[0]
        return PathUtil.dirname(exe)
    }

    public func resolve(_ choice: Stage1Choice?) throws -> String {
        if let choice { return try fromFlag(choice) }
        return try fromConfig()
    }

    /// Stage1 images are fetched without their dependencies.
    func fetch(_ ref: String, pullPolicy: PullPolicy) throws -> String {
        try images.fetch(ref, pullPolicy: pullPolicy, signature: nil, withDependencies: false)
    }

    func fromFlag(_ choice: Stage1Choice) throws -> String {
        switch choice {
        case .path(let p):
            return try fromFile(FileSystem.canonicalPath(p))
        case .fromDir(let file):
            var dir = context.config.paths.stage1ImagesDir
            if dir.isEmpty { dir = rktDir }
            return try fromFile(PathUtil.join(dir, file))
        case .url(let u):
            if u.hasPrefix("file://") { return try fromFile(String(u.dropFirst("file://".count))) }
            return try fetch(u, pullPolicy: .new)
        case .name(let n):
            return try fetch(n, pullPolicy: .new)
        case .hash(let h):
            guard ImageReference.isHash(h) else { throw RktError("invalid stage1 image hash \"\(h)\"") }
            return try fetch(h, pullPolicy: .never)
        }
    }

    /// A local stage1 file: trusted (no signature) when it sits next to the rkt binary.
    func fromFile(_ path: String) throws -> String {
        guard isTrusted(path) else { return try fetch(path, pullPolicy: .new) }
        context.log("using image from file \(path)", component: "image")
        // Importing hashes the whole stage1 (several MB) on every run; remember which file
        // (device, inode, size, mtime) gave which image and skip the import while it is unchanged.
        let url = "file://" + path
        let stamp = Self.fileStamp(path)
        if let stamp, let row = try? store.remote(url: url), row.etag == stamp,
           (try? store.imageInfo(key: row.blobKey)) != nil {
            context.log("stage1 \(path) unchanged since its import as \(row.blobKey)", component: "image")
            return row.blobKey
        }
        let key: String
        do {
            key = try store.importACI(path: path).key
        } catch {
            throw RktError("cannot import stage1 image \(path)", cause: error)
        }
        if let stamp {
            // A failed cache write only costs the next run an import.
            try? store.setRemote(RemoteInfo(aciURL: url, sigURL: "", etag: stamp, blobKey: key,
                                            cacheMaxAge: 0, downloadTime: nowNanos()))
        }
        return key
    }

    /// Identity of a file's current content as far as stat can tell; nil when it cannot be read.
    static func fileStamp(_ path: String) -> String? {
        guard let st = try? FileSystem.stat(path) else { return nil }
        return "stat:\(st.dev):\(st.ino):\(st.size):\(st.mtime.sec).\(st.mtime.nsec):\(st.ctime.sec).\(st.ctime.nsec)"
    }

    func isTrusted(_ path: String) -> Bool {
        PathUtil.dirname(path) == FileSystem.canonicalPath(rktDir)
    }

    func fromConfig() throws -> String {
        let cfg = context.config.stage1
        var name = cfg.name
        var version = cfg.version
        if name.isEmpty || version.isEmpty {
            name = Self.defaultName
            version = Self.defaultVersion
        }
        let location = cfg.location
        var fileName = location.hasPrefix("/") ? PathUtil.basename(location) : ""
        if location.isEmpty { fileName = Self.defaultFileName }
        if !location.isEmpty && !location.hasPrefix("/") && !location.contains("://") {
            throw RktError("default stage1 image location is either a relative path or a URL without scheme")
        }
        if !version.hasSuffix("-dirty"), let key = try store.find(name: name, labels: ["version": version]) {
            context.log("using image from local store for image name \(name):\(version)", component: "image")
            return key
        }
        if location.contains("://") {
            if location.hasPrefix("file://") { return try fromPath(String(location.dropFirst("file://".count)), fileName: fileName) }
            return try fetch(location, pullPolicy: .new)
        }
        return try fromPath(location, fileName: fileName)
    }

    /// The configured path, then the same file name next to the rkt binary.
    func fromPath(_ location: String, fileName: String) throws -> String {
        var fetchErr: (any Error)?
        if !location.isEmpty {
            do { return try fromFile(location) } catch { fetchErr = error }
        }
        guard !fileName.isEmpty else {
            throw RktError("failed to fetch stage1 image", cause: fetchErr ?? RktError("no location"))
        }
        let fallback = PathUtil.join(rktDir, fileName)
        context.log("using image from file \(fallback)", component: "image")
        do {
            return try store.importACI(path: fallback).key
        } catch {
            if let fetchErr {
                throw RktError("failed to fetch stage1 image and failed to fall back to stage1 image in the rkt directory",
                               causes: ["\(fetchErr)", "\(error)"])
            }
            throw RktError("failed to fall back to stage1 image in rkt directory (default stage1 image location is not specified)",
                           cause: error)
        }
    }
}
