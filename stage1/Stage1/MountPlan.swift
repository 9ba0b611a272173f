import RktCommon
import RktOS

/// One step of an app rootfs setup. Targets are paths *inside* the app rootfs; the executor
/// resolves them in-root so a symlink in the image cannot point a mount outside it.
public enum MountStep: Sendable, Equatable {
    /// Bind `source` (a host path) onto `target`; the target is created as a file or directory
    /// to match the source.
    case bind(source: String, target: String, recursive: Bool, readOnly: Bool)
    /// Mount a filesystem (`proc`, `sysfs`, `tmpfs`, `devpts`) on a directory.
    case filesystem(type: String, target: String, readOnly: Bool, data: String)
    /// Make `target` a read-only bind of itself (masked kernel paths).
    case readOnly(target: String)
    /// Make `target` a writable bind of itself, below a read-only one.
    case writable(target: String)
    /// Hide `target`: a read-only empty tmpfs over a directory, /dev/null over a file.
    case hide(target: String)
    case symlink(target: String, at: String)
    /// Remount the whole app rootfs read-only (`--readonly-rootfs`).
    case readOnlyRoot
}

/// Inputs of the per-app mount plan.
public struct MountPlanInput: Sendable {
    public var app: RuntimeAppSpec
    public var volumes: [Volume]
    /// `<pod>/sharedVolumes`.
    public var sharedVolumesDir: String
    /// Host paths of the stage1 rootfs files that become /etc/hosts, /etc/resolv.conf, /etc/hostname.
    public var hostsFile: String?
    public var resolvFile: String?
    public var hostnameFile: String
    /// The image has its own /etc/hosts (the fallback is used only when it does not).
    public var imageHasHosts: Bool
    public var maskPaths: Bool
    /// What the app's /dev/console is bound from: the pod's terminal, or /dev/null without one.
    public var consoleSource: String
    /// The pod has a network namespace of its own, so its /proc/sys/net may stay writable.
    public var privateNetwork: Bool

    public init(app: RuntimeAppSpec, volumes: [Volume], sharedVolumesDir: String, hostsFile: String?,
                resolvFile: String?, hostnameFile: String, imageHasHosts: Bool, maskPaths: Bool,
                consoleSource: String = "/dev/null", privateNetwork: Bool = false) {
        self.app = app
        self.volumes = volumes
        self.sharedVolumesDir = sharedVolumesDir
        self.hostsFile = hostsFile
        self.resolvFile = resolvFile
        self.hostnameFile = hostnameFile
        self.imageHasHosts = imageHasHosts
        self.maskPaths = maskPaths
        self.consoleSource = consoleSource
        self.privateNetwork = privateNetwork
    }
}

/// One volume mounted into an app: which volume, where (in-root path), read-only or not.
public struct AppMount: Sendable, Equatable {
    public var volume: Volume
    public var path: String
    public var readOnly: Bool
}

public enum MountPlan {
    /// Device nodes bound from the host into the app's /dev.
    public static let devices = ["null", "zero", "full", "random", "urandom", "tty"]
    /// rkt's read-only kernel paths, after /proc/sys as a whole (systemd-nspawn makes the API
    /// filesystems read-only unless `--insecure-options=paths`; /sys is read-only already).
    public static let readOnlyPaths = [
        "/proc/sys", "/proc/bus", "/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe",
        "/proc/sys/vm/panic_on_oom", "/proc/sysrq-trigger",
    ]
    public static let hiddenPaths = [
        "/sys/firmware", "/sys/fs", "/sys/hypervisor", "/sys/module", "/sys/power",
        "/proc/config.gz", "/proc/kallsyms", "/proc/sched_debug", "/proc/kcore", "/proc/kmem", "/proc/mem",
    ]

    /// The empty volumes a pod needs beyond its manifest: one `<app>-<mountpoint>` volume for each
    /// image mount point that neither a RuntimeApp mount nor a pod volume of its name fulfils
    /// (appc: implicit empty volumes).
    public static func implicitVolumes(_ app: RuntimeAppSpec, volumes: [Volume]) -> [(Volume, String)] {
        mountPointMounts(app, volumes: volumes).compactMap { $0.implicit ? ($0.mount.volume, $0.mount.path) : nil }
    }

    /// Every volume mount of one app (rkt: stage1/init/common GenerateMounts): first the
    /// RuntimeApp's mounts, then each image mount point no mount covers, taking the pod volume of
    /// the mount point's name or else an implicit empty volume `<app>-<mountpoint>`. A volume's
    /// `readOnly` wins over the mount point's.
    public static func appMounts(_ app: RuntimeAppSpec, volumes: [Volume]) throws -> [AppMount] {
        var out: [AppMount] = []
        for m in app.mounts {
            guard let vol = volumes.first(where: { $0.name == m.volume }) else {
                throw RktError("no volume named \(m.volume) for app \(app.name)")
            }
            let path = target(of: m, in: app)
            let mpReadOnly = app.app.mountPoints.first { $0.name == m.volume || $0.path == path }?.readOnly ?? false
            out.append(AppMount(volume: vol, path: path, readOnly: vol.readOnly ?? mpReadOnly))
        }
        return out + mountPointMounts(app, volumes: volumes).map(\.mount)
    }

    /// A RuntimeApp mount's in-root path: its `path`, or, in older manifests naming a mount
    /// point there, that mount point's path.
    static func target(of m: Mount, in app: RuntimeAppSpec) -> String {
        app.app.mountPoints.first { $0.name == m.path }?.path ?? m.path
    }

    /// The mounts the image's mount points add on their own (see `appMounts`).
    static func mountPointMounts(_ app: RuntimeAppSpec, volumes: [Volume]) -> [(mount: AppMount, implicit: Bool)] {
        let covered = Set(app.mounts.map { PathUtil.clean(target(of: $0, in: app)) })
        return app.app.mountPoints.compactMap { mp in
            if covered.contains(PathUtil.clean(mp.path)) { return nil }
            if let vol = volumes.first(where: { $0.name == mp.name }) {
                return (AppMount(volume: vol, path: mp.path, readOnly: vol.readOnly ?? mp.readOnly), false)
            }
            let vol = Volume.empty("\(app.name)-\(mp.name)", readOnly: mp.readOnly)
            return (AppMount(volume: vol, path: mp.path, readOnly: mp.readOnly), true)
        }
    }

    /// The /etc/resolv.conf bind, when the pod has one.
    public static func resolvConfSteps(_ resolvFile: String?) -> [MountStep] {
        guard let resolvFile else { return [] }
        return [.bind(source: resolvFile, target: "/etc/resolv.conf", recursive: false, readOnly: false)]
    }

    /// Where the /etc/resolv.conf bind goes in a plan made without it: right before /etc/hostname.
    /// pod-init applies the steps before it while init still sets the network up.
    public static func resolvConfIndex(_ steps: [MountStep]) -> Int {
        steps.firstIndex {
            if case let .bind(_, target, _, _) = $0 { return target == "/etc/hostname" }
            return false
        } ?? steps.count
    }

    /// Every mount of one app, in order: /proc, /sys, /dev, etc files, volumes, masks, read-only root.
    public static func plan(_ input: MountPlanInput) throws -> [MountStep] {
        var steps: [MountStep] = [
            .filesystem(type: "proc", target: "/proc", readOnly: false, data: ""),
            .filesystem(type: "sysfs", target: "/sys", readOnly: true, data: ""),
            .filesystem(type: "tmpfs", target: "/dev", readOnly: false, data: "mode=755"),
        ]
        for d in devices { steps.append(.bind(source: "/dev/" + d, target: "/dev/" + d, recursive: false, readOnly: false)) }
        steps.append(.bind(source: input.consoleSource, target: "/dev/console", recursive: false, readOnly: false))
        steps += [
            .filesystem(type: "devpts", target: "/dev/pts", readOnly: false, data: "newinstance,ptmxmode=0666,mode=620"),
            .symlink(target: "pts/ptmx", at: "/dev/ptmx"),
            .filesystem(type: "tmpfs", target: "/dev/shm", readOnly: false, data: "mode=1777"),
            .symlink(target: "/proc/self/fd", at: "/dev/fd"),
            .symlink(target: "/proc/self/fd/0", at: "/dev/stdin"),
            .symlink(target: "/proc/self/fd/1", at: "/dev/stdout"),
            .symlink(target: "/proc/self/fd/2", at: "/dev/stderr"),
        ]
        if let hosts = input.hostsFile {
            steps.append(.bind(source: hosts, target: "/etc/hosts", recursive: false, readOnly: false))
        }
        steps += resolvConfSteps(input.resolvFile)
        steps.append(.bind(source: input.hostnameFile, target: "/etc/hostname", recursive: false, readOnly: false))

        for m in try appMounts(input.app, volumes: input.volumes) {
            switch m.volume.kind {
            case "host":
                guard let src = m.volume.source else { throw RktError("host volume \(m.volume.name) has no source") }
                steps.append(.bind(source: src, target: m.path, recursive: m.volume.recursive ?? true, readOnly: m.readOnly))
            case "empty":
                steps.append(.bind(source: PathUtil.join(input.sharedVolumesDir, m.volume.name), target: m.path,
                                   recursive: false, readOnly: m.readOnly))
            default:
                throw RktError("volume \(m.volume.name) has unknown kind \(m.volume.kind)")
            }
        }
        if input.maskPaths {
            steps += readOnlyPaths.map { .readOnly(target: $0) }
            // nspawn's exception: the pod's own network namespace stays configurable.
            if input.privateNetwork { steps.append(.writable(target: "/proc/sys/net")) }
            steps += hiddenPaths.map { .hide(target: $0) }
        }
        if input.app.readOnlyRootFS { steps.append(.readOnlyRoot) }
        return steps
    }
}
