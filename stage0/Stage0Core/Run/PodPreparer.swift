#if canImport(Glibc)
import Glibc
#endif
import RktCommon
import RktJSON
import RktOS

/// A pod that went through prepare: still in `prepare/`, exclusively locked by this process.
public struct PreparedPod {
    public let pod: Pod
    public let useOverlay: Bool
    public let manifest: PodManifest
}

/// `rkt prepare` and the first half of `rkt run` (rkt-architecture.md §1.2 steps 3–10;
/// rkt: rkt/run.go, stage0/run.go `Prepare`).
///
/// Everything that can fail on user input (stage1 and images, image manifests, the pod manifest,
/// overlay and userns compatibility) is resolved *before* the pod directory exists. Once it does,
/// any failure removes it again, so a failed prepare leaves nothing in `pods/`.
public final class PodPreparer {
    public let context: Stage0Context
    public let timer: PhaseTimer
    let store: ImageStore
    let trees: TreeStore
    let images: any ImageSource

    public init(context: Stage0Context, timer: PhaseTimer, images: ImageSourceFactory) throws {
        self.context = context
        self.timer = timer
        do {
            store = try ImageStore(dataDir: context.dataDir)
        } catch {
            throw RktError("cannot open store", cause: error)
        }
        trees = TreeStore(store: store)
        self.images = images(context, store)
    }

    public func prepare(_ options: RunOptions) throws -> PreparedPod {
        let stage1Key = try Stage1Selection(context: context, store: store, images: images).resolve(options.stage1)
        let (manifest, appManifests) = try podManifest(options)
        // Every image is resolved: `rkt` no longer hands over to `rkt-full`, so what it held back
        // (--debug lines) can be written.
        Stage0Context.releaseStderr()
        timer.mark("store lookup")

        // Once per run: the overlay check looks at pods/, and the pod is created there.
        try Pod.ensureStateDirs(dataDir: context.dataDir)
        let useOverlay = overlayDecision(options)
        let usernsShift = options.privateUsers ? Self.randomShift() : 0
        if options.privateUsers && useOverlay {
            throw RktError("--private-users cannot be used together with overlay filesystem, try --no-overlay")
        }
        let pod: Pod
        do {
            pod = try Pod.create(dataDir: context.dataDir, stateDirsExist: true)
        } catch {
            throw RktError("error creating new pod", cause: error)
        }
        timer.mark("pod creation")
        do {
            if let file = options.uuidFileSave {
                do {
                    // rkt (common.WriteUUIDToFile) writes the bare UUID, no newline.
                    try FileIO.writeFile(file, pod.uuid, mode: 0o644)
                } catch {
                    throw RktError("error saving pod UUID to file", cause: error)
                }
            }
            let lock = try PrepareLock.take(dataDir: context.dataDir, exclusive: false)
            defer { withExtendedLifetime(lock) {} }
            do {
                try populate(pod: pod, manifest: manifest, appManifests: appManifests, stage1Key: stage1Key,
                             useOverlay: useOverlay, shift: usernsShift)
            } catch {
                throw RktError("error setting up stage0", cause: error)
            }
        } catch {
            // Nothing is mounted during prepare; removing the directory is the whole cleanup.
            let path = pod.path
            pod.close()
            try? FileSystem.removeTree(path)
            throw error
        }
        timer.mark("render")
        return PreparedPod(pod: pod, useOverlay: useOverlay, manifest: manifest)
    }

    /// Overlay is used unless `--no-overlay` or the data directory cannot carry it.
    func overlayDecision(_ options: RunOptions) -> Bool {
        if options.noOverlay { return false }
        if let why = OverlaySupport.unsupportedReason(dataDir: context.dataDir) {
            context.warn("disabling overlay support: \"\(why)\"")
            return false
        }
        return true
    }

    /// rkt's `SetRandomUidRange(65536)`: a random multiple of 65536 above the host's own range.
    static func randomShift() -> UInt32 {
        let count: UInt32 = 65536
        return count * UInt32.random(in: 1..<(0xFFFF_0000 / count))
    }

    // MARK: - The pod manifest

    /// Fetches the images and builds the manifest from the command line, or reads
    /// `--pod-manifest` (whose images must already be in the store by ID).
    func podManifest(_ options: RunOptions) throws -> (PodManifest, [String: [UInt8]]) {
        if let file = options.podManifest, !file.isEmpty {
            return try readPodManifest(file)
        }
        let policy = try PullPolicy(parsing: options.pullPolicy)
        var resolved: [ResolvedApp] = []
        var raw: [String: [UInt8]] = [:]
        for app in options.apps {
            let key = try images.fetch(app.image, pullPolicy: policy, signature: app.signature, withDependencies: true)
            let (im, bytes) = try imageManifest(key)
            let r = ResolvedApp(cli: app, imageID: key, manifest: im)
            raw[try r.appName()] = bytes
            resolved.append(r)
        }
        let builder = PodManifestBuilder(
            options: options, hostEnvironment: Self.hostEnvironment(), uid: getuid(), gid: getgid())
        let pm = try builder.build(apps: resolved)
        guard !pm.apps.isEmpty else { throw RktError("pod must contain at least one application") }
        return (pm, raw)
    }

    func readPodManifest(_ file: String) throws -> (PodManifest, [String: [UInt8]]) {
        let pm: PodManifest
        do {
            pm = try decodeJSON(PodManifest.self, from: try FileIO.readFile(file))
        } catch {
            throw RktError("error reading pod manifest \(file)", cause: error)
        }
        guard !pm.apps.isEmpty else { throw RktError("pod must contain at least one application") }
        var raw: [String: [UInt8]] = [:]
        for app in pm.apps {
            guard !app.image.id.isEmpty else { throw RktError("no image ID for app \(app.name)") }
            let key: String
            do { key = try store.resolveKey(app.image.id) } catch {
                throw RktError("cannot find image \(app.image.id) for app \(app.name) in the store", cause: error)
            }
            raw[app.name] = try imageManifest(key).1
        }
        return (pm, raw)
    }

    /// The image's manifest, checked for an os/arch valid on this host.
    func imageManifest(_ key: String) throws -> (ImageManifest, [UInt8]) {
        // Errors read "cannot read manifest of image <key>: <cause>".
        let m = try store.manifest(key: key)
        try PodManifestBuilder.checkOSArch(m.image)
        return (m.image, m.bytes)
    }

    static func hostEnvironment() -> [KeyValue] {
        Environment.current().compactMap { RunFlagValues.splitKV($0) }
    }

    // MARK: - The pod directory

    func populate(pod: Pod, manifest: PodManifest, appManifests: [String: [UInt8]], stage1Key: String,
                  useOverlay: Bool, shift: UInt32) throws {
        let dir = pod.path
        try FileSystem.mkdir("\(dir)/\(PodFile.appsInfo)", mode: 0o755)

        // stage1: always rendered in the tree store; copied into the pod only without overlay.
        let s1ID = try trees.render(key: stage1Key)
        try FileSystem.mkdir("\(dir)/\(PodFile.stage1Dir)", mode: 0o755)
        try FileSystem.copyRegularFile(from: "\(trees.path(s1ID))/manifest", to: "\(dir)/\(PodFile.stage1Manifest)")
        let s1Rootfs = "\(dir)/\(PodFile.stage1Rootfs)"
        if useOverlay {
            try FileSystem.mkdir(s1Rootfs, mode: 0o755)
        } else {
            try TreeCopy.copy(from: trees.rootfsPath(s1ID), to: s1Rootfs)
        }
        try FileIO.writeFile("\(dir)/\(PodFile.stage1TreeStoreID)", s1ID, mode: 0o640)

        for app in manifest.apps {
            let infoDir = "\(dir)/\(PodFile.appsInfo)/\(app.name)"
            try FileSystem.mkdir(infoDir, mode: 0o755)
            let key = try store.resolveKey(app.image.id)
            let treeID = try trees.render(key: key)
            let imageManifest = appManifests[app.name] ?? []
            if useOverlay {
                try FileIO.writeFile("\(infoDir)/treeStoreID", treeID, mode: 0o640)
            } else {
                let appDir = "\(s1Rootfs)/\(Stage1Path.appDir(app.name))"
                try TreeCopy.copy(from: trees.rootfsPath(treeID), to: "\(appDir)/rootfs")
                try FileIO.writeFile("\(appDir)/manifest", imageManifest, mode: 0o644)
            }
            try FileIO.writeFile("\(infoDir)/manifest", imageManifest, mode: 0o644)
        }
        // One pass over the whole stage1 rootfs, the apps' rootfs trees included (shifting each
        // app first as well would shift it twice, out of the pod's range).
        if !useOverlay { try TreeCopy.shiftOwners(s1Rootfs, by: shift) }

        try FileSystem.touch("\(dir)/\(PodFile.lock)", mode: 0o640)
        let bytes = manifest.json.serialized()
        // Not fsynced here: `Pod.toPrepared` syncs the whole pod, and a pod run at once does
        // not outlive a crash.
        try FileIO.writeFileAtomic("\(dir)/\(PodFile.manifest)", bytes, mode: 0o640, durable: false)
        _ = chmod("\(dir)/\(PodFile.manifest)", 0o640)
        try FileSystem.touch("\(dir)/\(PodFile.created)", mode: 0o640)
        if useOverlay { try FileSystem.touch("\(dir)/\(PodFile.overlayPrepared)", mode: 0o640) }
        if shift > 0 {
            try FileIO.writeFile("\(dir)/\(PodFile.privateUsersPrepared)", "\(shift):65536", mode: 0o640)
        }
    }
}
