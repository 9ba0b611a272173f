import RktCommon
import RktJSON
import RktOS

/// The pod as the fly stage1 sees it from its working directory, the pod directory
/// (rkt: stage1/common/types LoadPod).
public struct FlyPod: Sendable {
    public var dir: String
    public var manifest: PodManifest
    /// Image manifests by app name, from `stage1/rootfs/opt/stage2/<app>/manifest`.
    public var images: [String: ImageManifest]

    public var stage1Rootfs: String { PathUtil.join(dir, PodFile.stage1Rootfs) }

    public func appRootfs(_ app: String) -> String { PathUtil.join(stage1Rootfs, Stage1Path.appRootfs(app)) }

    public func envFile(_ app: String) -> String { PathUtil.join(stage1Rootfs, Stage1Path.appEnv(app)) }

    /// Loads `pod` and every app's image manifest.
    public static func load(dir: String) throws -> FlyPod {
        let path = PathUtil.join(dir, PodFile.manifest)
        let manifest: PodManifest
        do {
            manifest = try decodeJSON(PodManifest.self, from: try FileIO.readFile(path))
        } catch {
            throw RktError("failed reading pod manifest \(path)", cause: error)
        }
        var pod = FlyPod(dir: dir, manifest: manifest, images: [:])
        for app in manifest.apps {
            let ampath = PathUtil.join(pod.stage1Rootfs, Stage1Path.appManifest(app.name))
            do {
                pod.images[app.name] = try decodeJSON(ImageManifest.self, from: try FileIO.readFile(ampath))
            } catch {
                throw RktError("failed reading app manifest \(ampath)", cause: error)
            }
        }
        return pod
    }

    /// The app section fly runs: the runtime app's, else the image's.
    public func effectiveApp(_ ra: RuntimeApp) -> App? {
        ra.app ?? images[ra.name]?.app
    }

    /// `p.AppNameToImageName`: the image name for messages.
    public func imageName(_ app: String) -> String {
        images[app]?.name ?? app
    }
}

/// The process credentials fly switches to: uid/gid resolved inside the app rootfs, and the
/// supplementary groups with the primary gid first (rkt: stage1_fly/process-credentials.go).
public enum FlyCredentials {
    public static func lookup(app: App, rootfs: String) throws -> Credentials {
        let ids = try UserDatabase.resolveUserGroup(user: app.user, group: app.group, root: rootfs)
        let extra = app.supplementaryGIDs.map { UInt32(clamping: $0) }
        return Credentials(uid: ids.uid, gid: ids.gid, groups: [ids.gid] + extra)
    }
}

/// The environment the app starts with: the app's variables in order, with the default PATH
/// first when the app sets none (rkt fly's default).
public enum FlyEnvironment {
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    public static func build(_ app: App) -> [(name: String, value: String)] {
        var vars = app.environment.map { (name: $0.name, value: $0.value) }
        if !vars.contains(where: { $0.name == "PATH" }) {
            vars.insert((name: "PATH", value: defaultPath), at: 0)
        }
        return vars
    }
}
