#if canImport(Glibc)
import Glibc
#endif
import Crypto
import RktCommon
import Stage0Core
import RktJSON

/// A `docker save` tarball: `manifest.json` naming the config file and the layer tars
/// (moby: image/tarexport). It is unpacked into a work directory and read from there.
enum DockerArchive {
    static func withExtracted<T>(_ path: String, tmpDir: String, _ body: (DockerArchiveSource, String?) throws -> T) throws -> T {
        let work = try DockerWorkDir(casTmp: tmpDir)
        defer { work.remove() }
        let root = work.path + "/archive"
        guard mkdir(root, 0o700) == 0 else { throw RktError.errno("mkdir", root) }
        try extract(path, into: root)
        let source = try DockerArchiveSource(root: root, archive: path)
        return try body(source, source.repoTag)
    }

    private static func extract(_ path: String, into root: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RktError.errno("cannot open docker archive", path) }
        defer { close(fd) }
        let rootFD = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { throw RktError.errno("cannot open", root) }
        defer { close(rootFD) }
        let stream = try TarStream(fd: fd, source: path)
        let extractor = ACIExtractor(rootFD: rootFD, overwrite: true)
        while let e = try stream.next() {
            guard let rel = ACIPath.clean(e.path) else { throw RktError("unsafe file path in docker archive: \(e.path)") }
            // Only plain files and directories matter in a docker save; links are skipped.
            guard rel != ".", e.type == S_IFREG || e.type == S_IFDIR, e.hardlink == nil else { continue }
            try extractor.extract(e, at: rel, linkTarget: nil, stream: stream)
        }
        _ = try stream.finish()
        try extractor.finish()
    }
}

/// The first image of an unpacked `docker save` archive.
struct DockerArchiveSource: ImageBlobSource {
    let root: String
    let configPath: String
    let layerPaths: [String]
    let repoTag: String?

    init(root: String, archive: String) throws {
        self.root = root
        let manifestPath = root + "/manifest.json"
        let bytes: [UInt8]
        do { bytes = try StoreFS.readFile(manifestPath, limit: OCIDocument.maxSize) } catch {
            throw RktError("\(archive) is not a docker archive", cause: error)
        }
        let json: JSONValue
        do { json = try parseJSON(bytes) } catch { throw RktError("cannot parse manifest.json of \(archive)", cause: error) }
        guard let first = json.arrayValue?.first, let config = first["Config"]?.stringValue,
              let layers = first["Layers"]?.arrayValue?.compactMap(\.stringValue) else {
            throw RktError("cannot parse manifest.json of \(archive)", causes: ["no image in it"])
        }
        func inside(_ p: String) throws -> String {
            guard let c = ACIPath.clean(p), c != "." else { throw RktError("unsafe path \(p) in manifest.json of \(archive)") }
            return root + "/" + c
        }
        configPath = try inside(config)
        layerPaths = try layers.map(inside)
        repoTag = first["RepoTags"]?.arrayValue?.first?.stringValue
    }

    func resolve(tmpDir: String) throws -> ResolvedImage {
        let config = try StoreFS.readFile(configPath, limit: OCIDocument.maxSize)
        // Content-addressed names (`blobs/sha256/HEX`, `HEX.json`) are checked against their content.
        for p in layerPaths where p.contains("/blobs/sha256/") {
            let (digest, _) = try FileDigest.sha256(p)
            guard digest == "sha256:" + (p.split(separator: "/").last ?? "") else {
                throw RktError("layer \(p) does not match its digest", causes: ["got \(digest)"])
            }
        }
        return ResolvedImage(
            configBytes: config, configDigest: "sha256:" + SHA256.hash(data: config).hexString,
            manifestDigest: nil, layerPaths: layerPaths)
    }

    func rootDocument() throws -> (bytes: [UInt8], contentType: String?, digest: String) { throw unsupported }
    func document(_ d: OCIDescriptor) throws -> [UInt8] { throw unsupported }
    func blobBytes(_ d: OCIDescriptor) throws -> [UInt8] { throw unsupported }
    func layerFiles(_ ds: [OCIDescriptor], tmpDir: String) throws -> [String] { throw unsupported }
    private var unsupported: RktError { RktError("docker archives have no registry manifests") }
}
