import RktCommon
import RktJSON
import RktOS

// NEEDS: switch to the shared appc schema (`PodManifest`, `App`, `Isolator`, `decodeJSON` in
// shared/RktCommon/Schema) once it builds; this is stage1's read-only view of the same JSON.

/// One `name`/`value` pair (environment entries, annotations).
public struct NameValue: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) { self.name = name; self.value = value }
}

/// An appc isolator: its name and raw JSON value.
public struct IsolatorSpec: Sendable, Equatable {
    public var name: String
    public var value: JSONValue
    public init(name: String, value: JSONValue) { self.name = name; self.value = value }
}

/// A pod-level volume (`host` or `empty`).
public struct VolumeSpec: Sendable, Equatable {
    public var name: String
    public var kind: String
    public var source: String?
    public var readOnly: Bool?
    public var recursive: Bool?
    public var mode: String?
    public var uid: Int?
    public var gid: Int?
    public init(name: String, kind: String) { self.name = name; self.kind = kind }
}

/// An image mount point (`name`, `path`, `readOnly`).
public struct MountPointSpec: Sendable, Equatable {
    public var name: String
    public var path: String
    public var readOnly: Bool
    public init(name: String, path: String, readOnly: Bool) {
        self.name = name
        self.path = path
        self.readOnly = readOnly
    }
}

/// The parts of an appc `app` stage1 uses.
public struct AppSpec: Sendable, Equatable {
    public var exec: [String] = []
    public var user: String = "0"
    public var group: String = "0"
    public var supplementaryGIDs: [Int] = []
    public var workingDirectory: String = "/"
    public var environment: [NameValue] = []
    public var isolators: [IsolatorSpec] = []
    public var mountPoints: [MountPointSpec] = []
    /// `pre-start` / `post-stop` handlers.
    public var eventHandlers: [String: [String]] = [:]
    public init() {}
}

/// One RuntimeApp of the pod manifest, merged with its image's `app` when the pod omits it.
public struct RuntimeAppSpec: Sendable, Equatable {
    public var name: String
    public var app: AppSpec
    public var readOnlyRootFS: Bool = false
    /// `(volume name, mount path)` pairs.
    public var mounts: [(volume: String, path: String)] = []
    public var annotations: [NameValue] = []

    public init(name: String, app: AppSpec) { self.name = name; self.app = app }

    public static func == (a: RuntimeAppSpec, b: RuntimeAppSpec) -> Bool {
        a.name == b.name && a.app == b.app && a.readOnlyRootFS == b.readOnlyRootFS
            && a.mounts.map(\.volume) == b.mounts.map(\.volume) && a.mounts.map(\.path) == b.mounts.map(\.path)
            && a.annotations == b.annotations
    }

    /// The value of app annotation `name`, if any.
    public func annotation(_ name: String) -> String? { annotations.first { $0.name == name }?.value }
}

/// The pod manifest, as stage1 reads it.
public struct PodSpec: Sendable, Equatable {
    public var apps: [RuntimeAppSpec]
    public var volumes: [VolumeSpec]
    public var annotations: [NameValue]

    /// Reads `<podDir>/pod` and each app's image manifest under the stage1 rootfs.
    public static func load(podDir: String) throws -> PodSpec {
        let path = PathUtil.join(podDir, PodFile.manifest)
        let json: JSONValue
        do { json = try parseJSON(try FileIO.readFile(path)) } catch {
            throw RktError("cannot load pod manifest \(path)", cause: error)
        }
        return try parse(json) { app in
            let mpath = PathUtil.join(podDir, PodFile.stage1Rootfs, Stage1Path.appManifest(app))
            do { return try parseJSON(try FileIO.readFile(mpath)) } catch {
                throw RktError("cannot load image manifest \(mpath)", cause: error)
            }
        }
    }

    /// Parses a pod manifest; `imageManifest(app)` supplies the image manifest of an app whose
    /// RuntimeApp has no `app` section.
    public static func parse(_ json: JSONValue, imageManifest: (String) throws -> JSONValue) throws -> PodSpec {
        guard json["acKind"]?.stringValue == "PodManifest" else {
            throw RktError("invalid pod manifest: acKind is not PodManifest")
        }
        var apps: [RuntimeAppSpec] = []
        for a in json["apps"]?.arrayValue ?? [] {
            guard let name = a["name"]?.stringValue, !name.isEmpty else { throw RktError("invalid pod manifest: app without name") }
            var appJSON = a["app"]
            if appJSON == nil || appJSON?.isNull == true { appJSON = try imageManifest(name)["app"] }
            var ra = RuntimeAppSpec(name: name, app: try parseApp(appJSON ?? .null))
            ra.readOnlyRootFS = a["readOnlyRootFS"]?.boolValue ?? false
            for m in a["mounts"]?.arrayValue ?? [] {
                guard let vol = m["volume"]?.stringValue else { continue }
                let p = m["path"]?.stringValue ?? m["mountPoint"]?.stringValue ?? vol
                ra.mounts.append((vol, p))
            }
            ra.annotations = nameValues(a["annotations"])
            apps.append(ra)
        }
        var volumes: [VolumeSpec] = []
        for v in json["volumes"]?.arrayValue ?? [] {
            guard let name = v["name"]?.stringValue, let kind = v["kind"]?.stringValue else { continue }
            var vs = VolumeSpec(name: name, kind: kind)
            vs.source = v["source"]?.stringValue
            vs.readOnly = v["readOnly"]?.boolValue
            vs.recursive = v["recursive"]?.boolValue
            vs.mode = v["mode"]?.stringValue
            vs.uid = v["uid"]?.intValue
            vs.gid = v["gid"]?.intValue
            volumes.append(vs)
        }
        return PodSpec(apps: apps, volumes: volumes, annotations: nameValues(json["annotations"]))
    }

    static func parseApp(_ j: JSONValue) throws -> AppSpec {
        var app = AppSpec()
        app.exec = (j["exec"]?.arrayValue ?? []).compactMap(\.stringValue)
        app.user = j["user"]?.stringValue ?? "0"
        app.group = j["group"]?.stringValue ?? "0"
        app.supplementaryGIDs = (j["supplementaryGIDs"]?.arrayValue ?? []).compactMap(\.intValue)
        if let wd = j["workingDirectory"]?.stringValue, !wd.isEmpty { app.workingDirectory = wd }
        app.environment = nameValues(j["environment"])
        for i in j["isolators"]?.arrayValue ?? [] {
            guard let n = i["name"]?.stringValue else { continue }
            app.isolators.append(IsolatorSpec(name: n, value: i["value"] ?? .null))
        }
        for m in j["mountPoints"]?.arrayValue ?? [] {
            guard let n = m["name"]?.stringValue, let p = m["path"]?.stringValue else { continue }
            app.mountPoints.append(MountPointSpec(name: n, path: p, readOnly: m["readOnly"]?.boolValue ?? false))
        }
        for h in j["eventHandlers"]?.arrayValue ?? [] {
            guard let n = h["name"]?.stringValue else { continue }
            app.eventHandlers[n] = (h["exec"]?.arrayValue ?? []).compactMap(\.stringValue)
        }
        return app
    }

    static func nameValues(_ j: JSONValue?) -> [NameValue] {
        (j?.arrayValue ?? []).compactMap { e in
            guard let n = e["name"]?.stringValue else { return nil }
            return NameValue(n, e["value"]?.stringValue ?? "")
        }
    }
}
