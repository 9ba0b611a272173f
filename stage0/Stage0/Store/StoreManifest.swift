import RktCommon
import RktJSON

/// A dependency as the store resolves it (appc `Dependency`, labels keyed by name).
struct StoreDependency: Sendable, Equatable {
    var imageName: String
    var imageID: String?
    var labels: [String: String]
    var size: UInt64?
}

/// An image manifest as the store keeps it: the validated schema value plus the exact bytes
/// from the image (what `cat-manifest` prints and what the tree store writes).
struct StoreManifest: Sendable {
    let image: ImageManifest
    let bytes: [UInt8]

    /// Decodes with full schema validation; errors read "image manifest validation failed: …".
    init(bytes: [UInt8]) throws {
        self.bytes = bytes
        do {
            image = try decodeJSON(ImageManifest.self, from: bytes)
        } catch {
            throw RktError("image manifest validation failed", cause: error)
        }
    }

    var name: String { image.name }
    var pathWhitelist: [String] { image.pathWhitelist }

    var labels: [String: String] {
        var out: [String: String] = [:]
        for l in image.labels { out[l.name] = l.value }
        return out
    }

    var dependencies: [StoreDependency] {
        image.dependencies.map { d in
            var labels: [String: String] = [:]
            for l in d.labels { labels[l.name] = l.value }
            return StoreDependency(imageName: d.imageName, imageID: d.imageID.flatMap { $0.isEmpty ? nil : $0 }, labels: labels, size: d.size)
        }
    }
}
