#if canImport(Glibc)
import Glibc
#endif
import RktCommon

/// Where `run` and `prepare` get their images (and the stage1 image) from.
///
/// `rkt-full` passes its `ImageFetcher`: files, URLs, discovery, Docker registries, signatures.
/// `rkt` passes `StoreImageSource`, which answers from the store alone and throws
/// `NeedsFullStage0` for anything else, before any pod exists; `rkt` then execs `rkt-full` with
/// the same arguments (docs/hacking.md "Two stage0 binaries").
public protocol ImageSource: AnyObject {
    /// The full store key of `ref`, fetched first when need be; with `withDependencies`, the
    /// image's appc dependencies are in the store afterwards too.
    func fetch(_ ref: String, pullPolicy: PullPolicy, signature: String?, withDependencies: Bool) throws -> String
}

/// Builds the image source once the store is open.
public typealias ImageSourceFactory = @Sendable (Stage0Context, ImageStore) -> any ImageSource

/// Thrown by `StoreImageSource` when an image is not in the store, or must be checked against
/// its remote: only `rkt-full` can fetch.
public struct NeedsFullStage0: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// The images `rkt run` and `rkt prepare` find without fetching, exactly as `ImageFetcher` does
/// with the same pull policy (rkt: rkt/image/fetcher.go, the store-first branches): hashes, appc
/// names, and `http(s)` and `docker` URLs downloaded before, unless the policy is `update`. Files
/// (signature checks, imports) and everything else are rkt-full's.
public final class StoreImageSource: ImageSource {
    let context: Stage0Context
    let store: ImageStore

    public init(context: Stage0Context, store: ImageStore) {
        self.context = context
        self.store = store
    }

    public static let factory: ImageSourceFactory = { StoreImageSource(context: $0, store: $1) }

    public func fetch(_ ref: String, pullPolicy: PullPolicy, signature: String?, withDependencies: Bool) throws -> String {
        // Local OCI layouts and Docker archives are imported on every use (ImageFetcher+Docker).
        if ref.hasPrefix("oci-layout:") || ref.hasPrefix("docker-archive:") {
            throw NeedsFullStage0(reason: "\(ref) is imported by rkt-full")
        }
        let key: String
        switch try ImageReference.classify(ref) {
        case .hash(let h):
            key = try imageID(h)
        case .name(let app) where pullPolicy != .update:
            guard let found = try image(named: app, as: ref) else { throw NeedsFullStage0(reason: "\(ref) is not in the store") }
            key = found
        case .url(let url) where pullPolicy != .update:
            // HTTPCache.decide: `new` and `never` use any remote row, however old.
            let row: RemoteInfo?
            do { row = try store.remote(url: url) } catch {
                throw RktError("failed to fetch remote for URL \"\(url)\"", cause: error)
            }
            guard let row else { throw NeedsFullStage0(reason: "\(url) was never downloaded") }
            context.log("using image from local store for url \(url)", component: "image")
            key = row.blobKey
        case .docker(let rest) where pullPolicy != .update && context.insecure.skipImageCheck:
            // rkt-full reports a missing --insecure-options=image.
            _ = try DockerReference(parsing: rest)
            guard let found = downloaded(docker: rest) else { throw NeedsFullStage0(reason: "docker://\(rest) is not in the store") }
            key = found
        default:
            throw NeedsFullStage0(reason: "\(ref) is fetched by rkt-full")
        }
        if withDependencies { try checkDependencies(of: key) }
        return key
    }

    // The store-first branches, shared with ImageFetcher, which goes on to fetch when they
    // find nothing.

    /// The full key for an image ID prefix (`sha512-…`): the store is the only place to look.
    public func imageID(_ h: String) throws -> String {
        let key: String
        do { key = try store.resolveKey(h) } catch {
            throw RktError("cannot resolve image ID \(h)", cause: error)
        }
        context.log("using image from the store with hash \(key)", component: "image")
        return key
    }

    /// The stored image for an appc name (`original` as the user wrote it), or nil.
    public func image(named app: AppName, as original: String) throws -> String? {
        guard let key = try find(app) else { return nil }
        context.log("using image from local store for image name \(original)", component: "image")
        return key
    }

    /// The image a `docker://` URL was downloaded to, while it is still in the store, or nil.
    public func downloaded(docker rest: String) -> String? {
        let url = "docker://\(rest)"
        guard let row = try? store.remote(url: url), (try? store.resolveKey(row.blobKey)) != nil else { return nil }
        context.log("using image from local store for url \(url)", component: "image")
        return row.blobKey
    }

    /// The name's labels with the host's os/arch added where it gives none (appc names).
    public static func labels(_ app: AppName) -> [String: String] {
        var labels = app.labels
        for (k, v) in HostPlatform.osArch where labels[k] == nil { labels[k] = v }
        return labels
    }

    func find(_ app: AppName) throws -> String? {
        try store.find(name: app.name, labels: Self.labels(app))
    }

    /// Every dependency is in the store, by image ID or by name and labels (what
    /// `ImageFetcher.fetchDependencies` finds without discovery).
    func checkDependencies(of key: String) throws {
        try store.walkDependencies(of: key) { app in
            guard let found = try find(app) else { throw NeedsFullStage0(reason: "dependency \(app) is not in the store") }
            return found
        }
    }
}

extension ImageStore {
    /// Visits the appc dependencies of `key` breadth-first, each image once. A dependency with an
    /// image ID must be in the store; one given by name and labels is resolved by `byName`
    /// (rkt-full fetches it, rkt looks in the store).
    public func walkDependencies(of key: String, byName: (AppName) throws -> String) throws {
        var queue = [key]
        var seen: Set<String> = [key]
        while !queue.isEmpty {
            let current = queue.removeFirst()
            let deps: [StoreDependency]
            do {
                deps = try manifest(key: current).dependencies
            } catch {
                throw RktError("failed to get dependencies for image ID \"\(current)\"", cause: error)
            }
            for dep in deps {
                let depKey: String
                if let id = dep.imageID, !id.isEmpty {
                    depKey = try resolveKey(id)
                } else {
                    depKey = try byName(AppName(name: dep.imageName, labels: dep.labels))
                }
                if seen.insert(depKey).inserted { queue.append(depKey) }
            }
        }
    }
}

/// The host's appc `os` and `arch` labels, which rkt adds to a name that does not give them.
public enum HostPlatform {
    public static var osArch: [String: String] {
        var u = utsname()
        uname(&u)
        let machine = withUnsafeBytes(of: &u.machine) { buf in String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self) }
        let arch: String
        switch machine {
        case "x86_64": arch = "amd64"
        case "aarch64": arch = "arm64"
        case "i386", "i686": arch = "i386"
        case "ppc64le": arch = "ppc64le"
        case "s390x": arch = "s390x"
        default: arch = machine
        }
        return ["os": "linux", "arch": arch]
    }
}
