import Foundation
import RktCommon
import RktOS
import Stage0Core
import RktJSON

/// The image forms that do not go through appc: `oci-layout:PATH[:TAG]` and
/// `docker-archive:PATH` (rkt never had them; see docs/images.md).
public enum LocalOCIReference: Equatable, Sendable {
    case ociLayout(path: String, tag: String?)
    case dockerArchive(path: String)

    /// Nil when `s` is not one of these forms.
    public static func parse(_ s: String, cwd: String = FileManager.default.currentDirectoryPath) throws -> LocalOCIReference? {
        func absolute(_ p: String) -> String {
            ((p.hasPrefix("/") ? p : cwd + "/" + p) as NSString).standardizingPath
        }
        if s.hasPrefix("oci-layout:") {
            var rest = String(s.dropFirst("oci-layout:".count))
            var tag: String? = nil
            // A `:` after the last `/` separates the tag.
            if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
                tag = String(rest[rest.index(after: colon)...])
                rest = String(rest[..<colon])
                guard let t = tag, !t.isEmpty else { throw RktError("invalid image string \"\(s)\"", causes: ["empty tag"]) }
            }
            guard !rest.isEmpty else { throw RktError("invalid image string \"\(s)\"", causes: ["empty path"]) }
            return .ociLayout(path: absolute(rest), tag: tag)
        }
        if s.hasPrefix("docker-archive:") {
            let rest = String(s.dropFirst("docker-archive:".count))
            guard !rest.isEmpty else { throw RktError("invalid image string \"\(s)\"", causes: ["empty path"]) }
            return .dockerArchive(path: absolute(rest))
        }
        return nil
    }
}

extension ImageFetcher {
    /// `docker://…` with rkt's pull policies: `new` and `never` use the `remote` row of the URL,
    /// `update` always asks the registry.
    func fetchDocker(_ rest: String, pullPolicy: PullPolicy) throws -> String {
        let url = "docker://\(rest)"
        guard context.insecure.skipImageCheck else {
            throw RktError("signature verification for docker images is not supported (try --insecure-options=image)")
        }
        let ref = try DockerReference(parsing: rest)
        if pullPolicy != .update, let key = stored.downloaded(docker: rest) { return key }
        if pullPolicy == .never {
            throw RktError("unable to fetch image from URL \"\(url)\": either image was not found in the store or store was disabled and fetching from remote yielded nothing or it was disabled")
        }
        warnInsecure()
        context.log("remote fetching from URL \"\(url)\"", component: "image")
        let client = RegistryClient(
            reference: ref, credentials: ref.credentials(in: context.config), insecureTLS: context.insecure.skipTLSCheck,
            allowHTTP: context.insecure.allowHTTP)
        let key: String
        do {
            try client.ping()
            let origin = DockerManifestMapper.Origin(
                originalName: rest, registry: ref.registry, repository: ref.repository, tag: ref.tag,
                imageID: "", manifestHash: nil, aciName: ref.aciName)
            key = try convert(RegistrySource(client: client, progress: isatty(STDERR_FILENO) == 1), origin: origin, latest: ref.tag == "latest")
        } catch {
            throw RktError("unable to fetch image from URL \"\(url)\"", cause: error)
        }
        let row = RemoteInfo(
            aciURL: url, sigURL: "", etag: "", blobKey: key, cacheMaxAge: 0,
            downloadTime: Int64(Date().timeIntervalSince1970 * 1_000_000_000))
        do { try store.setRemote(row) } catch {
            throw RktError("cannot record remote for URL \"\(url)\"", cause: error)
        }
        return key
    }

    /// `oci-layout:` and `docker-archive:`: local files, so always read and imported (the store
    /// dedupes by hash); like other unsigned local images they need `--insecure-options=image`.
    func fetchLocalOCI(_ ref: LocalOCIReference, original: String) throws -> String {
        guard context.insecure.skipImageCheck else {
            throw RktError("signature verification for OCI images is not supported (try --insecure-options=image)")
        }
        warnInsecure()
        do {
            switch ref {
            case .ociLayout(let path, let tag):
                context.log("using image from OCI layout \(path)", component: "image")
                let base = (path as NSString).lastPathComponent
                let origin = DockerManifestMapper.Origin(
                    originalName: original, registry: "", repository: base, tag: tag ?? "latest",
                    imageID: "", manifestHash: nil, aciName: try ACIdentifier.sanitize(base))
                return try convert(OCILayoutSource(directory: path, tag: tag), origin: origin, latest: false)
            case .dockerArchive(let path):
                context.log("using image from docker archive \(path)", component: "image")
                return try DockerArchive.withExtracted(path, tmpDir: context.casTmpDir) { source, repoTag in
                    var origin = DockerManifestMapper.Origin(
                        originalName: original, registry: "", repository: "", tag: "latest",
                        imageID: "", manifestHash: nil, aciName: "")
                    if let repoTag, let r = try? DockerReference(parsing: repoTag) {
                        origin.registry = r.registry
                        origin.repository = r.repository
                        origin.tag = r.tag
                        origin.aciName = r.aciName
                    } else {
                        let base = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
                        origin.repository = base
                        origin.aciName = try ACIdentifier.sanitize(base)
                    }
                    return try convert(source, origin: origin, latest: false)
                }
            }
        } catch {
            throw RktError("cannot import image \(original)", cause: error)
        }
    }

    /// Resolve → squash → write one uncompressed ACI → import. Nothing is left behind on error.
    func convert(_ source: some ImageBlobSource, origin: DockerManifestMapper.Origin, latest: Bool) throws -> String {
        let work = try DockerWorkDir(casTmp: context.casTmpDir)
        defer { work.remove() }
        let image = try source.resolve(tmpDir: work.path)
        let config = try DockerImageConfig(parsing: image.configBytes)
        var o = origin
        o.imageID = image.configDigest
        o.manifestHash = image.manifestDigest
        let manifest = try DockerManifestMapper.manifest(config: config, origin: o)
        let manifestBytes = try encodeJSON(manifest, pretty: false)

        let rootfs = work.path + "/rootfs"
        guard mkdir(rootfs, 0o755) == 0 else { throw RktError.errno("mkdir", rootfs) }
        let applier = try LayerApplier(rootPath: rootfs)
        for (i, layer) in image.layerPaths.enumerated() {
            context.log("applying layer \(i + 1)/\(image.layerPaths.count)", component: "image")
            try applier.apply(layerPath: layer)
        }
        try applier.addDevLinks()

        let aci = work.path + "/image.aci"
        let fd = open(aci, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw RktError.errno("cannot create", aci) }
        defer { close(fd) }
        try ACIWriter.write(manifest: manifestBytes, rootfs: rootfs, to: fd, path: aci)
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw RktError.errno("seek", aci) }
        do {
            return try store.importACI(fd: fd, source: aci, latest: latest).key
        } catch {
            throw RktError("cannot import converted image", cause: error)
        }
    }
}

extension DockerReference {
    /// The `dockerAuth` entry for this registry. Docker Hub's may be keyed by any of its names
    /// (`registry-1.docker.io`, `index.docker.io`, `docker.io`), as users write it.
    func credentials(in config: RktConfig) -> BasicCredentials? {
        let byHost = config.dockerCredentialsPerRegistry
        if let c = byHost[registry] { return c }
        guard registry == DockerReference.dockerHub else { return nil }
        return byHost["index.docker.io"] ?? byHost["docker.io"]
    }
}

/// A private directory in `cas/tmp` for one conversion (layers, rootfs, the ACI).
struct DockerWorkDir {
    let path: String

    init(casTmp: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: casTmp, withIntermediateDirectories: true)
        } catch {
            throw RktError("cannot create directory \(casTmp)", cause: error)
        }
        var template = Array("\(casTmp)/docker-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buf -> String? in
            guard let base = buf.baseAddress, mkdtemp(base) != nil else { return nil }
            return String(cString: base)
        }
        guard let made else { throw RktError.errno("cannot create temporary directory in", casTmp) }
        path = made
    }

    func remove() { try? FileSystem.removeTree(path) }
}
