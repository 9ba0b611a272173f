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

    public init(app: RuntimeAppSpec, volumes: [Volume], sharedVolumesDir: String, hostsFile: String?,
                resolvFile: String?, hostnameFile: String, imageHasHosts: Bool, maskPaths: Bool) {
        self.app = app
        self.volumes = volumes
        self.sharedVolumesDir = sharedVolumesDir
        self.hostsFile = hostsFile
        self.resolvFile = resolvFile
        self.hostnameFile = hostnameFile
        self.imageHasHosts = imageHasHosts
        self.maskPaths = maskPaths
    }
}

public enum MountPlan {
    /// Device nodes bound from the host into the app's /dev.
    public static let devices = ["null", "zero", "full", "random", "urandom", "tty"]
    public static let readOnlyPaths = [
        "/proc/bus", "/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe",
        "/proc/sys/vm/panic_on_oom", "/proc/sysrq-trigger",
    ]
    public static let hiddenPaths = [
        "/sys/firmware", "/sys/fs", "/sys/hypervisor", "/sys/module", "/sys/power",
        "/proc/config.gz", "/proc/kallsyms", "/proc/sched_debug", "/proc/kcore", "/proc/kmem", "/proc/mem",
    ]

    /// The empty volumes a pod needs beyond its manifest: one `<app>-<mountpoint>` volume for each
    /// image mount point that no RuntimeApp mount fulfils (appc: implicit empty volumes).
    public static func implicitVolumes(_ app: RuntimeAppSpec, volumes: [Volume]) -> [(Volume, String)] {
        app.app.mountPoints.compactMap { mp in
            if app.mounts.contains(where: { $0.volume == mp.name || $0.path == mp.path }) { return nil }
            if volumes.contains(where: { $0.name == mp.name }) { return nil }
            return (Volume.empty("\(app.name)-\(mp.name)", readOnly: mp.readOnly), mp.path)
        }
    }

    /// Every mount of one app, in order: /proc, /sys, /dev, etc files, volumes, masks, read-only root.
    public static func plan(_ input: MountPlanInput) throws -> [MountStep] {
        var steps: [MountStep] = [
            .filesystem(type: "proc", target: "/proc", readOnly: false, data: ""),
            .filesystem(type: "sysfs", target: "/sys", readOnly: true, data: ""),
            .filesystem(type: "tmpfs", target: "/dev", readOnly: false, data: "mode=755"),
        ]
        for d in devices { steps.append(.bind(source: "/dev/" + d, target: "/dev/" + d, recursive: false, readOnly: false)) }
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
        if let resolv = input.resolvFile {
            steps.append(.bind(source: resolv, target: "/etc/resolv.conf", recursive: false, readOnly: false))
        }
        steps.append(.bind(source: input.hostnameFile, target: "/etc/hostname", recursive: false, readOnly: false))

        var all = input.app.mounts.map { m -> (String, String) in (m.volume, m.path) }
        var volumes = input.volumes
        for (v, path) in implicitVolumes(input.app, volumes: input.volumes) {
            volumes.append(v)
            all.append((v.name, path))
        }
        for (name, rawPath) in all {
            guard let vol = volumes.first(where: { $0.name == name }) else {
                throw RktError("no volume named \(name) for app \(input.app.name)")
            }
            // A RuntimeApp mount names either a mount point (by name) or a path.
            let path = input.app.app.mountPoints.first { $0.name == rawPath }?.path ?? rawPath
            let mpReadOnly = input.app.app.mountPoints.first { $0.name == name || $0.path == path }?.readOnly ?? false
            let readOnly = vol.readOnly ?? mpReadOnly
            switch vol.kind {
            case "host":
                guard let src = vol.source else { throw RktError("host volume \(name) has no source") }
                steps.append(.bind(source: src, target: path, recursive: vol.recursive ?? true, readOnly: readOnly))
            case "empty":
                steps.append(.bind(source: PathUtil.join(input.sharedVolumesDir, name), target: path,
                                   recursive: false, readOnly: readOnly))
            default:
                throw RktError("volume \(name) has unknown kind \(vol.kind)")
            }
        }
        if input.maskPaths {
            steps += readOnlyPaths.map { .readOnly(target: $0) }
            steps += hiddenPaths.map { .hide(target: $0) }
        }
        if input.app.readOnlyRootFS { steps.append(.readOnlyRoot) }
        return steps
    }
}
