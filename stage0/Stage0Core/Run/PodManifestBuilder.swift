import RktCommon

/// One command-line app after its image was found: what the user asked for plus the image's
/// store key and manifest.
public struct ResolvedApp: Sendable {
    public var cli: CLIApp
    public var imageID: String
    public var manifest: ImageManifest
    public init(cli: CLIApp, imageID: String, manifest: ImageManifest) {
        self.cli = cli
        self.imageID = imageID
        self.manifest = manifest
    }

    /// The app's name in the pod: `--name`, else the image name's last component as an ACName.
    public func appName() throws -> String {
        if let n = cli.name { return n }
        do {
            return try ACName.defaultAppName(forImage: manifest.name)
        } catch {
            throw RktError("cannot derive an app name from image name \(manifest.name)", cause: error)
        }
    }
}

/// Builds the pod manifest exactly as rkt records it from the command line
/// (rkt: stage0/run.go `generatePodManifest`, `prepareIsolators`, `mergeEnvs`).
public struct PodManifestBuilder {
    public var options: RunOptions
    /// The caller's environment in order, read only with `--inherit-env`.
    public var hostEnvironment: [KeyValue]
    /// Used for the minimal app section of an image without one (`--exec` given).
    public var uid: UInt32
    public var gid: UInt32

    public init(options: RunOptions, hostEnvironment: [KeyValue], uid: UInt32, gid: UInt32) {
        self.options = options
        self.hostEnvironment = hostEnvironment
        self.uid = uid
        self.gid = gid
    }

    public func build(apps: [ResolvedApp]) throws -> PodManifest {
        // rkt stamps its own version here; our schema (and stage1) accept only appc 0.x versions.
        var pm = PodManifest()
        for app in apps {
            let ra = try runtimeApp(app)
            if pm.apps.contains(where: { $0.name == ra.name }) {
                throw RktError("error: multiple apps with name \(app.manifest.name)")
            }
            pm.apps.append(ra)
        }
        pm.volumes = options.volumes.map(Self.volume)
        pm.ports = try options.ports.map { p in
            try Self.checkPort(p.name, apps: pm.apps)
            return ExposedPort(name: p.name, hostPort: Int(p.hostPort), hostIP: p.hostIP)
        }
        pm.annotations[RktAnnotation.mutable] = "false"
        return pm
    }

    /// The image's os/arch labels must be present and name a Linux architecture rkt supports.
    public static func checkOSArch(_ m: ImageManifest) throws {
        guard let os = m.labels["os"] else { throw RktError("missing os label in the image manifest") }
        guard let arch = m.labels["arch"] else { throw RktError("missing arch label in the image manifest") }
        guard os == "linux" else { throw RktError("bad os \"\(os)\" (must be one of: [linux])") }
        let arches = OSArch.validPairs["linux"] ?? []
        guard arches.contains(arch) else {
            throw RktError("bad arch \"\(arch)\" for linux (must be one of: \(arches.joined(separator: " ")))")
        }
    }

    func runtimeApp(_ r: ResolvedApp) throws -> RuntimeApp {
        let cli = r.cli
        let name = try r.appName()
        guard r.manifest.app != nil || cli.exec != nil else {
            throw RktError("error: image \(r.imageID) has no app section and --exec argument is not provided")
        }
        var app = r.manifest.app ?? App(user: String(uid), group: String(gid))
        if let exec = cli.exec { app.exec = [exec] }
        app.exec += cli.args
        if let wd = cli.workingDir { app.workingDirectory = wd }
        try Self.applyIsolators(cli, to: &app)
        if let u = cli.user, !u.isEmpty { app.user = u }
        if let g = cli.group, !g.isEmpty { app.group = g }
        if let gids = cli.supplementaryGIDs { app.supplementaryGIDs = gids }
        if !cli.userAnnotations.isEmpty { app.userAnnotations = Dictionary(cli.userAnnotations.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }) }
        if !cli.userLabels.isEmpty { app.userLabels = Dictionary(cli.userLabels.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }) }
        app.environment = mergedEnvironment(image: app.environment, perApp: cli.environment)

        var annotations: [Annotation] = []
        for kv in cli.annotations { annotations[kv.name] = kv.value }
        if let m = cli.stdin { annotations[RktAnnotation.stdin] = m }
        if let m = cli.stdout { annotations[RktAnnotation.stdout] = m }
        if let m = cli.stderr { annotations[RktAnnotation.stderr] = m }

        return RuntimeApp(
            name: name,
            image: RuntimeImage(name: r.manifest.name, id: r.imageID, labels: r.manifest.labels),
            app: app,
            readOnlyRootFS: cli.readOnlyRootFS,
            mounts: Self.mergeMounts(pod: options.podMounts, app: cli.mounts),
            annotations: annotations)
    }

    /// Lowest to highest: image < inherited (never overriding what is set) < `--set-env-file` <
    /// `--set-env` < per-app `--environment`. A variable keeps its first position; later layers
    /// replace its value in place, new ones are appended (appc `Environment.Set`).
    func mergedEnvironment(image: [EnvironmentVariable], perApp: [KeyValue]) -> [EnvironmentVariable] {
        var env = image
        func set(_ kv: KeyValue, override: Bool) {
            if let i = env.firstIndex(where: { $0.name == kv.name }) {
                if override { env[i].value = kv.value }
            } else {
                env.append(EnvironmentVariable(name: kv.name, value: kv.value))
            }
        }
        if options.inheritEnv { for kv in hostEnvironment { set(kv, override: false) } }
        for kv in options.envFromFile { set(kv, override: true) }
        for kv in options.setEnv { set(kv, override: true) }
        for kv in perApp { set(kv, override: true) }
        return env
    }

    /// `--memory`/`--cpu` add resource isolators; `--cpu-shares`, `--seccomp` and `--oom-score-adj`
    /// replace any of the same kind; `--caps-*` drop every capability isolator of the image first.
    static func applyIsolators(_ cli: CLIApp, to app: inout App) throws {
        func replace(_ names: Set<String>, with iso: Isolator) {
            app.isolators.removeAll { names.contains($0.name) }
            app.isolators.append(iso)
        }
        if let m = cli.memory { try app.isolators.append(.memoryLimit(Quantity(m))) }
        if let c = cli.cpu { try app.isolators.append(.cpuLimit(Quantity(c))) }
        if let s = cli.cpuShares { replace([IsolatorName.cpuShares], with: .cpuShares(s)) }
        if cli.capsRetain != nil && cli.capsRemove != nil {
            throw RktError("error: cannot use both --caps-retain and --caps-remove on the same image")
        }
        if cli.capsRetain != nil || cli.capsRemove != nil {
            app.isolators.removeAll {
                $0.name == IsolatorName.capabilitiesRetain || $0.name == IsolatorName.capabilitiesRemove
            }
        }
        if let caps = cli.capsRetain {
            app.isolators.append(.capabilitiesRetain(caps))
        } else if let caps = cli.capsRemove {
            app.isolators.append(.capabilitiesRemove(caps))
        }
        if let raw = cli.seccomp {
            let s = try SeccompOverride(parsing: raw)
            let iso: Isolator = s.mode == .retain ? .seccompRetain(s.set, errno: s.errno) : .seccompRemove(s.set, errno: s.errno)
            replace([IsolatorName.seccompRetain, IsolatorName.seccompRemove], with: iso)
        }
        if let adj = cli.oomScoreAdj { replace([IsolatorName.oomScoreAdj], with: .oomScoreAdj(adj)) }
    }

    /// Per-app mounts first, then the pod-wide ones; a target already mounted (after path
    /// cleaning) keeps its first mount (rkt: stage0 `MergeMounts`).
    static func mergeMounts(pod: [MountSpec], app: [MountSpec]) -> [Mount] {
        var seen: Set<String> = []
        var out: [Mount] = []
        for m in app + pod where seen.insert(cleanPath(m.target)).inserted {
            out.append(Mount(volume: m.volume, path: m.target))
        }
        return out
    }

    /// Go's `path.Clean` for the cases mount targets hit: duplicate and trailing slashes, `.`, `..`.
    static func cleanPath(_ p: String) -> String {
        let abs = p.hasPrefix("/")
        var parts: [Substring] = []
        for c in p.split(separator: "/") {
            if c == "." { continue }
            if c == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
            if c == "..", abs { continue }
            parts.append(c)
        }
        let joined = parts.joined(separator: "/")
        return abs ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    static func volume(_ v: VolumeSpec) -> Volume {
        switch v.kind {
        case .host:
            return .host(v.name, source: v.source ?? "", readOnly: v.readOnly, recursive: v.recursive)
        case .empty:
            var vol = Volume.empty(v.name, readOnly: v.readOnly, mode: v.mode ?? Volume.defaultMode, uid: v.uid ?? 0, gid: v.gid ?? 0)
            vol.recursive = v.recursive
            return vol
        }
    }

    /// A forwarded port must name exactly one app port (rkt: networking `ForwardedPorts`).
    static func checkPort(_ name: String, apps: [RuntimeApp]) throws {
        let matches = apps.flatMap { $0.app?.ports ?? [] }.filter { $0.name == name }
        if matches.count > 1 { throw RktError("port name \"\(name)\" defined multiple times in pod manifest") }
        if matches.isEmpty { throw RktError("port name \"\(name)\" could not be found in any apps") }
    }
}
