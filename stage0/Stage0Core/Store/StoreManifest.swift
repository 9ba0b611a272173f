import RktCommon
import RktJSON

/// A dependency as the store resolves it (appc `Dependency`, labels keyed by name).
public struct StoreDependency: Sendable, Equatable {
    public var imageName: String
    public var imageID: String?
    public var labels: [String: String]
    public var size: UInt64?
}

/// An image manifest as the store keeps it: the validated schema value plus the exact bytes
/// from the image (what `cat-manifest` prints and what the tree store writes).
public struct StoreManifest: Sendable {
    /// The validated schema value.
    public let image: ImageManifest
    public let bytes: [UInt8]

    /// Decodes with full schema validation; errors read "image manifest validation failed: …".
    public init(bytes: [UInt8]) throws {
        self.bytes = bytes
        do {
            image = try decodeJSON(ImageManifest.self, from: bytes)
        } catch {
            throw RktError("image manifest validation failed", cause: error)
        }
    }

    public var name: String { image.name }
    public var pathWhitelist: [String] { image.pathWhitelist }

    public var labels: [String: String] {
        var out: [String: String] = [:]
        for l in image.labels { out[l.name] = l.value }
        return out
    }

    public var dependencies: [StoreDependency] {
        image.dependencies.map { d in
            var labels: [String: String] = [:]
            for l in d.labels { labels[l.name] = l.value }
            return StoreDependency(imageName: d.imageName, imageID: d.imageID.flatMap { $0.isEmpty ? nil : $0 }, labels: labels, size: d.size)
        }
    }
}
