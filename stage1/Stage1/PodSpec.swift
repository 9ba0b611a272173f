import RktCommon
import RktJSON
import RktOS

/// One RuntimeApp of the pod manifest with its effective `app`: the pod's own section, or the
/// image manifest's when the pod omits it (appc: the image's app is the default).
public struct RuntimeAppSpec: Sendable, Equatable {
    public var name: String
    public var app: App
    public var readOnlyRootFS: Bool = false
    public var mounts: [Mount] = []
    public var annotations: [Annotation] = []

    public init(name: String, app: App) { self.name = name; self.app = app }

    /// The value of app annotation `name`, if any.
    public func annotation(_ name: String) -> String? { annotations.first { $0.name == name }?.value }

    /// The `exec` of event handler `name` (`pre-start`, `post-stop`), if any.
    public func eventHandler(_ name: String) -> [String]? { app.eventHandlers.first { $0.name == name }?.exec }
}

/// The pod manifest as stage1 runs it: the shared appc `PodManifest` plus each app's effective
/// `App` resolved from its image manifest under the stage1 rootfs.
public struct PodSpec: Sendable, Equatable {
    public var apps: [RuntimeAppSpec]
    public var volumes: [Volume]
    public var annotations: [Annotation]

    /// The spec of the pod manifest's bytes (pod-init gets them on an fd); see the next one.
    public static func load(podDir: String, manifest bytes: [UInt8]) throws -> PodSpec {
        let manifest: PodManifest
        do { manifest = try decodeJSON(PodManifest.self, from: bytes) } catch {
            throw RktError("cannot read pod manifest", cause: error)
        }
        return try load(podDir: podDir, manifest: manifest)
    }

    /// The spec of a decoded pod manifest: apps without an `app` section get their image
    /// manifest's, read from under the stage1 rootfs.
    static func load(podDir: String, manifest: PodManifest) throws -> PodSpec {
        return try resolve(manifest) { app in
            let path = PathUtil.join(podDir, PodFile.stage1Rootfs, Stage1Path.appManifest(app))
            do { return try decodeJSON(ImageManifest.self, from: try FileIO.readFile(path)) } catch {
                throw RktError("cannot load image manifest \(path)", cause: error)
            }
        }
    }

    /// Resolves a decoded pod manifest; `imageManifest(app)` supplies the image manifest of an
    /// app whose RuntimeApp has no `app` section.
    public static func resolve(_ m: PodManifest, imageManifest: (String) throws -> ImageManifest) throws -> PodSpec {
        var apps: [RuntimeAppSpec] = []
        for ra in m.apps {
            guard !ra.name.isEmpty else { throw RktError("invalid pod manifest: app without name") }
            let app = try ra.app ?? imageManifest(ra.name).app ?? App()
            var spec = RuntimeAppSpec(name: ra.name, app: app)
            spec.readOnlyRootFS = ra.readOnlyRootFS ?? false
            spec.mounts = ra.mounts
            spec.annotations = ra.annotations
            apps.append(spec)
        }
        return PodSpec(apps: apps, volumes: m.volumes, annotations: m.annotations)
    }

    /// Parses pod manifest bytes (for tests and tools working on a manifest in memory).
    public static func parse(_ bytes: [UInt8], imageManifest: (String) throws -> ImageManifest) throws -> PodSpec {
        let m: PodManifest
        do { m = try decodeJSON(PodManifest.self, from: bytes) } catch {
            throw RktError("invalid pod manifest", cause: error)
        }
        return try resolve(m, imageManifest: imageManifest)
    }
}
