import Crypto
import Foundation
import RktCommon
import Stage0Core
import RktJSON

/// An image whose blobs are available as verified local files, ready to be squashed.
struct ResolvedImage {
    var configBytes: [UInt8]
    /// `sha256:` of the config: the Docker image ID.
    var configDigest: String
    /// `sha256:` of the image manifest, when there is one.
    var manifestDigest: String?
    /// Layer files, base first.
    var layerPaths: [String]
}

/// Where the manifests and blobs of one image come from.
protocol ImageBlobSource {
    /// Picks one entry of an index; `top` is true for the document the reference named.
    func choose(_ entries: [OCIDescriptor], top: Bool) throws -> OCIDescriptor
    /// The document the reference names (a manifest or an index).
    func rootDocument() throws -> (bytes: [UInt8], contentType: String?, digest: String)
    /// A manifest by descriptor, verified against its digest.
    func document(_ d: OCIDescriptor) throws -> [UInt8]
    /// A small blob (the config), verified.
    func blobBytes(_ d: OCIDescriptor) throws -> [UInt8]
    /// Verified layer files, in order; files created in `tmpDir` are the caller's to delete.
    func layerFiles(_ ds: [OCIDescriptor], tmpDir: String) throws -> [String]
    /// Everything the squash needs; the default follows manifests through the methods above.
    func resolve(tmpDir: String) throws -> ResolvedImage
}

extension ImageBlobSource {
    func choose(_ entries: [OCIDescriptor], top: Bool) throws -> OCIDescriptor { try OCIDocument.select(entries) }

    /// Follows indexes down to one image manifest and fetches its config and layers.
    func resolve(tmpDir: String) throws -> ResolvedImage {
        var (bytes, type, digest) = try rootDocument()
        var doc = try OCIDocument.parse(bytes, contentType: type)
        var top = true
        for _ in 0..<4 {
            guard case .index(let entries) = doc else { break }
            let chosen = try choose(entries, top: top)
            top = false
            bytes = try document(chosen)
            digest = chosen.digest
            doc = try OCIDocument.parse(bytes, contentType: chosen.mediaType.isEmpty ? nil : chosen.mediaType)
        }
        guard case .image(let config, let layers) = doc else {
            throw RktError("cannot resolve image manifest", causes: ["indexes nested too deeply"])
        }
        for l in layers { try OCIMediaType.layerIsSupported(l.mediaType) }
        let configBytes = try blobBytes(config)
        let paths = try layerFiles(layers, tmpDir: tmpDir)
        return ResolvedImage(configBytes: configBytes, configDigest: config.digest, manifestDigest: digest, layerPaths: paths)
    }
}

/// Blobs from a registry.
struct RegistrySource: ImageBlobSource {
    let client: RegistryClient
    let progress: Bool

    func rootDocument() throws -> (bytes: [UInt8], contentType: String?, digest: String) {
        try client.manifest(client.reference.manifestReference)
    }

    func document(_ d: OCIDescriptor) throws -> [UInt8] { try client.manifest(d.digest).bytes }

    func blobBytes(_ d: OCIDescriptor) throws -> [UInt8] { try client.blobBytes(d) }

    func layerFiles(_ ds: [OCIDescriptor], tmpDir: String) throws -> [String] {
        var jobs: [(OCIDescriptor, String)] = []
        for (i, d) in ds.enumerated() {
            let path = "\(tmpDir)/layer-\(i)"
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw RktError("cannot create layer file \(path)")
            }
            jobs.append((d, path))
        }
        try client.downloadBlobs(jobs, progress: progress)
        return jobs.map(\.1)
    }
}

/// Blobs from an OCI image layout directory (image-spec image-layout.md).
struct OCILayoutSource: ImageBlobSource {
    let directory: String
    /// `org.opencontainers.image.ref.name` to pick from `index.json`; nil picks the only image.
    let tag: String?

    func blobPath(_ digest: String) throws -> String {
        guard DockerReference.isValidDigest(digest) else { throw RktError("unsupported digest \(digest) in \(directory)") }
        return "\(directory)/blobs/sha256/\(digest.dropFirst("sha256:".count))"
    }

    func rootDocument() throws -> (bytes: [UInt8], contentType: String?, digest: String) {
        let layoutFile = "\(directory)/oci-layout"
        guard let layout = FileManager.default.contents(atPath: layoutFile),
              let v = try? parseJSON([UInt8](layout)), v["imageLayoutVersion"]?.stringValue != nil else {
            throw RktError("\(directory) is not an OCI image layout", causes: ["cannot read \(layoutFile)"])
        }
        let indexFile = "\(directory)/index.json"
        guard let data = FileManager.default.contents(atPath: indexFile), data.count <= OCIDocument.maxSize else {
            throw RktError("cannot read OCI index \(indexFile)")
        }
        let bytes = [UInt8](data)
        return (bytes, OCIMediaType.ociIndex, "sha256:" + SHA256.hash(data: bytes).hexString)
    }

    func choose(_ entries: [OCIDescriptor], top: Bool) throws -> OCIDescriptor {
        guard top else { return try OCIDocument.select(entries) }
        var matching = entries
        if let tag {
            matching = entries.filter { $0.refName == tag }
            guard !matching.isEmpty else {
                let tags = entries.compactMap(\.refName)
                throw RktError("no image tagged \"\(tag)\" in \(directory) (available: \(tags.joined(separator: ", ")))")
            }
        } else if Set(entries.map(\.refName)).count > 1 {
            let tags = entries.compactMap(\.refName)
            throw RktError("\(directory) holds several images; name one as oci-layout:\(directory):TAG (available: \(tags.joined(separator: ", ")))")
        }
        if matching.count == 1, let only = matching.first { return only }
        return try OCIDocument.select(matching)
    }

    private func read(_ d: OCIDescriptor, limit: Int) throws -> [UInt8] {
        let path = try blobPath(d.digest)
        guard d.size <= limit, let data = FileManager.default.contents(atPath: path) else {
            throw RktError("cannot read blob \(path)")
        }
        let bytes = [UInt8](data)
        try BlobDigest.verify(bytes, d, from: directory)
        return bytes
    }

    func document(_ d: OCIDescriptor) throws -> [UInt8] { try read(d, limit: OCIDocument.maxSize) }

    func blobBytes(_ d: OCIDescriptor) throws -> [UInt8] { try read(d, limit: OCIDocument.maxSize) }

    /// Layers are used in place, after hashing them.
    func layerFiles(_ ds: [OCIDescriptor], tmpDir: String) throws -> [String] {
        try ds.map { d in
            let path = try blobPath(d.digest)
            let (digest, size) = try FileDigest.sha256(path)
            guard digest == d.digest, size == d.size else {
                throw BlobDigest.mismatch(d, got: digest, size: size, from: directory)
            }
            return path
        }
    }
}

enum FileDigest {
    static func sha256(_ path: String) throws -> (String, Int64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RktError.errno("cannot open", path) }
        defer { close(fd) }
        var h = SHA256()
        var size: Int64 = 0
        var buf = [UInt8](repeating: 0, count: 256 << 10)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RktError.errno("read", path)
            }
            if n == 0 { break }
            buf.withUnsafeBytes { h.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            size += Int64(n)
        }
        return ("sha256:" + h.finalize().hexString, size)
    }
}
