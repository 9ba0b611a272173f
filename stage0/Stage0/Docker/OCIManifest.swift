import RktCommon
import Stage0Core
import RktJSON

/// Media types of the registry v2 / OCI distribution formats we accept (appc-docker-cni.md §7.2 "Do:").
public enum OCIMediaType {
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let dockerList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json"
    public static let dockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"

    /// The Accept header for manifest requests, most specific first.
    public static let manifestAccept = [ociIndex, dockerList, dockerManifest, ociManifest].joined(separator: ", ")

    /// Layer types whose content we can apply, and their compression.
    static func layerIsSupported(_ t: String) throws {
        switch t {
        case "application/vnd.docker.image.rootfs.diff.tar.gzip",
             "application/vnd.oci.image.layer.v1.tar",
             "application/vnd.oci.image.layer.v1.tar+gzip",
             "application/vnd.docker.image.rootfs.diff.tar":
            return
        case "application/vnd.oci.image.layer.v1.tar+zstd":
            throw RktError("unsupported layer media type \(t)", causes: ["zstd-compressed layers are not supported"])
        case "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
             "application/vnd.oci.image.layer.nondistributable.v1.tar",
             "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip":
            throw RktError("unsupported layer media type \(t)", causes: ["foreign and non-distributable layers are not supported"])
        default:
            throw RktError("unsupported layer media type \(t)")
        }
    }
}

/// A content descriptor (image-spec descriptor.md).
public struct OCIDescriptor: Equatable, Sendable {
    public var mediaType: String
    public var digest: String
    public var size: Int64
    public var platform: (os: String, architecture: String, variant: String?)?
    /// `org.opencontainers.image.ref.name` in an OCI layout's index.json.
    public var refName: String?

    public init(mediaType: String, digest: String, size: Int64) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
    }

    init(_ v: JSONValue, what: String) throws {
        guard let d = v["digest"]?.stringValue, DockerReference.isValidDigest(d) else {
            throw RktError("invalid \(what)", causes: ["missing or unsupported digest (only sha256 is supported)"])
        }
        guard let size = v["size"]?.int64Value, size >= 0 else { throw RktError("invalid \(what)", causes: ["missing size"]) }
        mediaType = v["mediaType"]?.stringValue ?? ""
        digest = d
        self.size = size
        if let p = v["platform"], let os = p["os"]?.stringValue, let arch = p["architecture"]?.stringValue {
            platform = (os, arch, p["variant"]?.stringValue)
        }
        refName = v["annotations"]?["org.opencontainers.image.ref.name"]?.stringValue
    }

    public static func == (a: OCIDescriptor, b: OCIDescriptor) -> Bool {
        a.mediaType == b.mediaType && a.digest == b.digest && a.size == b.size && a.refName == b.refName
            && a.platform?.os == b.platform?.os && a.platform?.architecture == b.platform?.architecture
            && a.platform?.variant == b.platform?.variant
    }
}

/// A parsed manifest document: either an index (manifest list) or an image manifest.
public enum OCIDocument: Equatable, Sendable {
    case index([OCIDescriptor])
    case image(config: OCIDescriptor, layers: [OCIDescriptor])

    /// Manifests are small; anything bigger is refused before parsing.
    public static let maxSize = 4 << 20

    /// Parses `bytes`, dispatching on `contentType` (or on the document's own `mediaType`).
    public static func parse(_ bytes: [UInt8], contentType: String?) throws -> OCIDocument {
        let root: JSONValue
        do { root = try parseJSON(bytes) } catch { throw RktError("cannot parse image manifest", cause: error) }
        var type = contentType.map { String($0.split(separator: ";").first ?? "").dockerTrimmed() } ?? ""
        if type.isEmpty || type == "application/json" || type == "application/octet-stream" {
            type = root["mediaType"]?.stringValue ?? ""
        }
        if type.isEmpty {
            // OCI documents may omit mediaType: tell them apart by shape.
            type = root["manifests"] != nil ? OCIMediaType.ociIndex : (root["layers"] != nil ? OCIMediaType.ociManifest : "")
        }
        switch type {
        case OCIMediaType.ociIndex, OCIMediaType.dockerList:
            guard let list = root["manifests"]?.arrayValue else {
                throw RktError("cannot parse image index", causes: ["no manifests"])
            }
            return .index(try list.map { try OCIDescriptor($0, what: "index entry") })
        case OCIMediaType.ociManifest, OCIMediaType.dockerManifest:
            guard let c = root["config"] else { throw RktError("cannot parse image manifest", causes: ["no config"]) }
            let config = try OCIDescriptor(c, what: "config descriptor")
            let layers = try (root["layers"]?.arrayValue ?? []).map { try OCIDescriptor($0, what: "layer descriptor") }
            return .image(config: config, layers: layers)
        case OCIMediaType.dockerSchema1, OCIMediaType.dockerSchema1Signed:
            throw RktError("unsupported manifest type \(type)", causes: ["docker schema1 manifests are not supported; push the image again with a current docker or skopeo"])
        default:
            throw RktError("unsupported manifest type \"\(type)\"")
        }
    }

    /// Chooses the entry for linux/`arch` (Go arch names) from an index.
    public static func select(_ entries: [OCIDescriptor], arch: String = OCIDocument.hostArch.arch, variant: String? = OCIDocument.hostArch.variant) throws -> OCIDescriptor {
        let candidates = entries.filter { $0.platform?.os == "linux" && $0.platform?.architecture == arch }
        if let exact = candidates.first(where: { variant == nil || $0.platform?.variant == nil || $0.platform?.variant == variant }) {
            return exact
        }
        let available = entries.compactMap { d in
            d.platform.map { "\($0.os)/\($0.architecture)" + ($0.variant.map { "/\($0)" } ?? "") }
        }
        throw RktError("no manifest for linux/\(arch) in index (available: \(available.joined(separator: ", ")))")
    }

    /// The host's Go architecture name, as registries label platforms.
    public static var hostArch: (arch: String, variant: String?) {
        #if arch(x86_64)
        return ("amd64", nil)
        #elseif arch(arm64)
        return ("arm64", "v8")
        #elseif arch(i386)
        return ("386", nil)
        #elseif arch(arm)
        return ("arm", "v7")
        #elseif arch(powerpc64le)
        return ("ppc64le", nil)
        #elseif arch(s390x)
        return ("s390x", nil)
        #else
        return ("unknown", nil)
        #endif
    }
}

extension String {
    func dockerTrimmed() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
