import Foundation
import RktCommon
import Stage0Core

/// Puts images into the local store (rkt: rkt/image/fetcher.go): `rkt fetch`, and pod creation
/// for `run`/`prepare` and the stage1 image. Synchronous; downloads are bridged internally.
///
/// Supported: hashes (store only), local files and `file://` URLs, `http(s)://…aci` URLs with the
/// remote cache (max-age, ETag/304) and auth.d headers, appc names through meta discovery
/// (Discovery/), and detached signatures checked against the keystore (Trust/).
public final class ImageFetcher {
    public let context: Stage0Context
    public let store: ImageStore
    /// Fetch the image's appc dependencies too (run, prepare and fetch all do).
    public var withDependencies = true
    /// Replaced in tests; by default built from the context (TLS, auth headers).
    public var downloader: HTTPDownloader
    private var warnedInsecure = false
    /// The store-first lookups `rkt` (Stage0Core) makes too.
    private(set) lazy var stored = StoreImageSource(context: context, store: store)

    public init(context: Stage0Context, store: ImageStore) {
        self.context = context
        self.store = store
        let config = context.config
        self.downloader = HTTPDownloader(
            insecureTLS: context.insecure.skipTLSCheck,
            headersForHost: { config.headers(forHost: $0) })
    }

    /// Fetches `ref` (hash, path, URL or name) and returns its full store key.
    /// `signature` is the `--signature` file given for this image, if any.
    public func fetch(_ ref: String, pullPolicy: PullPolicy, signature: String? = nil) throws -> String {
        let key: String
        if let local = try LocalOCIReference.parse(ref) {
            key = try fetchLocalOCI(local, original: ref)  // Docker/ImageFetcher+Docker.swift
        } else {
            key = try fetchSingle(ImageReference.classify(ref), original: ref, pullPolicy: pullPolicy, signature: signature)
        }
        if withDependencies { try fetchDependencies(of: key, pullPolicy: pullPolicy) }
        // NEEDS: TreeStore.render(key:) — rkt renders right after fetching when running as root
        // on an overlay-capable host, so the first `run` does not pay for it.
        return key
    }

    /// `sha512-` + 32 hex digits, the form `rkt fetch` prints (appc `types.ShortHash`).
    public static func shortHash(_ key: String) -> String {
        String(key.prefix("sha512-".count + 32))
    }

    // MARK: - Per kind

    func fetchSingle(_ reference: ImageReference, original: String, pullPolicy: PullPolicy, signature: String?) throws -> String {
        switch reference {
        case .hash(let h):
            return try stored.imageID(h)
        case .file(let path):
            context.log("using image from file \(path)", component: "image")
            try checkSignature(imagePath: path, signature: signature)
            do {
                return try store.importACI(path: path).key
            } catch {
                throw RktError("cannot import image \(path)", cause: error)
            }
        case .url(let url):
            return try fetchURL(url, pullPolicy: pullPolicy, signature: signature)
        case .docker(let d):
            return try fetchDocker(d, pullPolicy: pullPolicy)  // Docker/ImageFetcher+Docker.swift
        case .name(let app):
            return try fetchByName(app, original: original, pullPolicy: pullPolicy, useStoreFirst: pullPolicy != .update)
        }
    }

    func fetchByName(_ app: AppName, original: String, pullPolicy: PullPolicy, useStoreFirst: Bool) throws -> String {
        if useStoreFirst, let key = try stored.image(named: app, as: original) { return key }
        if pullPolicy == .never {
            throw RktError("unable to fetch image from image name \"\(original)\": either image was not found in the store or store was disabled and fetching from remote yielded nothing or it was disabled")
        }
        context.log("searching for app image \(app.name)", component: "image")
        return try fetchDiscovered(app, labels: StoreImageSource.labels(app), original: original, pullPolicy: pullPolicy)
    }

    /// `signatureURL` and `expected` come from discovery (Discovery/ImageFetcher+Discovery.swift).
    func fetchURL(_ url: String, pullPolicy: PullPolicy, signature: String?, signatureURL: String? = nil, expected: AppName? = nil) throws -> String {
        let remote: RemoteCacheEntry?
        do {
            remote = try store.remote(url: url).map(Self.entry)
        } catch {
            throw RktError("failed to fetch remote for URL \"\(url)\"", cause: error)
        }
        switch HTTPCache.decide(remote: remote, policy: pullPolicy) {
        case .useStore(let key):
            context.log("using image from local store for url \(url)", component: "image")
            return key
        case .unavailable:
            throw RktError("unable to fetch image from URL \"\(url)\": either image was not found in the store or store was disabled and fetching from remote yielded nothing or it was disabled")
        case .notExpired(let key):
            context.log("remote fetching from URL \"\(url)\"", component: "image")
            context.log("image for \(url) isn't expired, not fetching.", component: "image")
            return key
        case .download(let etag):
            context.log("remote fetching from URL \"\(url)\"", component: "image")
            return try download(url, etag: etag, previous: remote, signature: signature, signatureURL: signatureURL, expected: expected)
        }
    }

    func download(_ url: String, etag: String?, previous: RemoteCacheEntry?, signature: String?, signatureURL: String? = nil, expected: AppName? = nil) throws -> String {
        // The signature comes first so an unreachable one fails before the big download
        // (Trust/ImageFetcher+Signature.swift).
        let sigURL = signatureURL ?? HTTPCache.signatureURL(forImageURL: url)
        var pending: PendingSignature? = nil
        if context.insecure.skipImageCheck {
            warnInsecure()
        } else {
            pending = try prepareSignature(localFile: signature, sigURL: sigURL)
        }
        context.log("fetching image from \(url)", component: "image")
        let tmp = try DownloadFile(directory: context.casTmpDir)
        defer { tmp.remove() }
        let result = try downloader.download(url, to: tmp.path, ifNoneMatch: etag)
        if result.notModified, let prev = previous {
            context.log("using image from local store for url \(url)", component: "image")
            return prev.key
        }
        try verifyFetched(imagePath: tmp.path, signature: pending, expected: expected)
        let key: String
        do {
            key = try store.importACI(path: tmp.path).key
        } catch {
            throw RktError("cannot import image downloaded from \(url)", cause: error)
        }
        let row = RemoteInfo(
            aciURL: url, sigURL: signature ?? sigURL, etag: result.etag,
            blobKey: key, cacheMaxAge: Int64(result.maxAge),
            downloadTime: Int64(Date().timeIntervalSince1970 * 1_000_000_000))
        do { try store.setRemote(row) } catch {
            throw RktError("cannot record remote for URL \"\(url)\"", cause: error)
        }
        return key
    }

    /// Local images need a detached signature unless `--insecure-options=image`, verified
    /// against the keyring for the image's name.
    func checkSignature(imagePath: String, signature: String?) throws {
        if context.insecure.skipImageCheck {
            warnInsecure()
            return
        }
        let asc = signature ?? (imagePath.hasSuffix(".aci") ? String(imagePath.dropLast(4)) : imagePath) + ".aci.asc"
        guard FileManager.default.isReadableFile(atPath: asc) else {
            throw RktError("error opening signature file \"\(asc)\"", causes: [
                "no such file or directory (try --insecure-options=image to skip signature verification)",
            ])
        }
        do {
            try verifyFetched(imagePath: imagePath, signature: PendingSignature(path: asc), expected: nil)
        } catch {
            throw RktError("cannot verify image \(imagePath)", cause: error)
        }
    }

    func warnInsecure() {
        guard !warnedInsecure else { return }
        warnedInsecure = true
        context.warn("warning: image signature verification has been disabled", component: "image")
    }

    /// Fetches the appc dependencies breadth-first, by name and labels or by image ID. Without
    /// discovery they must already be in the store, whatever the pull policy.
    func fetchDependencies(of key: String, pullPolicy: PullPolicy) throws {
        try store.walkDependencies(of: key) { app in
            try fetchByName(app, original: app.description, pullPolicy: pullPolicy, useStoreFirst: true)
        }
    }

    static func entry(_ r: RemoteInfo) -> RemoteCacheEntry {
        RemoteCacheEntry(
            url: r.aciURL, signatureURL: r.sigURL, etag: r.etag, key: r.blobKey, maxAge: Int(r.cacheMaxAge),
            downloadTime: Date(timeIntervalSince1970: Double(r.downloadTime) / 1_000_000_000))
    }
}

/// A download target in `cas/tmp`, flocked while alive so the store's temp cleaner (which only
/// removes files it can lock) never deletes a download in progress.
struct DownloadFile {
    let path: String
    let fd: Int32

    init(directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RktError("cannot create directory \(directory)", cause: error)
        }
        var bytes = [UInt8](repeating: 0, count: 8)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        let name = bytes.map { String(format: "%02x", $0) }.joined()
        path = "\(directory)/fetch-\(name)"
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw RktError.errno("cannot create download file", path) }
        guard flock(fd, LOCK_EX) == 0 else {
            let err = RktError.errno("cannot lock download file", path)
            close(fd)
            unlink(path)
            throw err
        }
    }

    func remove() {
        unlink(path)
        close(fd)
    }
}

extension ImageFetcher: ImageSource {
    public func fetch(_ ref: String, pullPolicy: PullPolicy, signature: String?, withDependencies: Bool) throws -> String {
        let saved = self.withDependencies
        self.withDependencies = withDependencies
        defer { self.withDependencies = saved }
        return try fetch(ref, pullPolicy: pullPolicy, signature: signature)
    }

    /// For `RunFlow`: the fetcher `run` and `prepare` use in `rkt-full`.
    public static let factory: ImageSourceFactory = { ImageFetcher(context: $0, store: $1) }
}
