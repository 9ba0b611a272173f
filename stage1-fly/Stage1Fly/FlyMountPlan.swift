import RktCommon
import RktOS

/// One mount the fly stage1 performs, in rkt's terms (rkt: stage1_fly/run/main.go `flyMount`).
public struct FlyMount: Equatable, Sendable, CustomStringConvertible {
    /// Source path, `tmpfs`, or empty for propagation changes and remounts.
    public var hostPath: String
    /// The app rootfs the target is resolved inside; empty when `relTarget` is a host path.
    public var targetPrefix: String
    public var relTarget: String
    public var fsType: String
    public var flags: MountFlags

    public init(_ hostPath: String, _ targetPrefix: String, _ relTarget: String, _ fsType: String, _ flags: MountFlags) {
        self.hostPath = hostPath
        self.targetPrefix = targetPrefix
        self.relTarget = relTarget
        self.fsType = fsType
        self.flags = flags
    }

    public var isRemount: Bool { flags.contains(.remount) }

    public var description: String {
        "{HostPath:\(hostPath) TargetPrefixPath:\(targetPrefix) RelTargetPath:\(relTarget) Fs:\(fsType) Flags:\(flags.rawValue)}"
    }
}

/// An empty volume directory fly creates under `<pod>/sharedVolumes/<name>`.
public struct FlyEmptyVolume: Equatable, Sendable {
    public var path: String
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32

    public init(path: String, mode: UInt32, uid: UInt32, gid: UInt32) {
        self.path = path
        self.mode = mode
        self.uid = uid
        self.gid = gid
    }
}

/// Pure planning of the fly mounts, so it can be tested without mounting anything.
public enum FlyMountPlan {
    /// /dev, /proc and /sys made rshared then rbound into the app, and a tmpfs on /tmp.
    public static func base(rootfs: String) -> [FlyMount] {
        [
            FlyMount("", "", "/dev", "none", [.rec, .shared]),
            FlyMount("/dev", rootfs, "/dev", "none", [.bind, .rec]),
            FlyMount("", "", "/proc", "none", [.rec, .shared]),
            FlyMount("/proc", rootfs, "/proc", "none", [.bind, .rec]),
            FlyMount("", "", "/sys", "none", [.rec, .shared]),
            FlyMount("/sys", rootfs, "/sys", "none", [.bind, .rec]),
            FlyMount("tmpfs", rootfs, "/tmp", "tmpfs", []),
        ]
    }

    /// `/etc/resolv.conf` and `/etc/hosts` bind mounts for `--dns-conf-mode`. The copy (resolv
    /// `stage0`) and the stub hosts file (hosts `default`) are file writes done by the caller.
    /// rkt passes MS_RDONLY with the bind, which the kernel ignores; the explicit read-only
    /// remount makes the host's files really read-only for the app.
    public static func dns(_ mode: DNSConfMode, rootfs: String, stage1Rootfs: String) -> [FlyMount] {
        var out: [FlyMount] = []
        func readOnlyBind(_ src: String, _ target: String) {
            out.append(FlyMount(src, rootfs, target, "none", [.bind, .readOnly]))
            out.append(FlyMount("", rootfs, target, "none", [.bind, .remount, .readOnly]))
        }
        if mode.resolv == "host" { readOnlyBind("/etc/resolv.conf", "/etc/resolv.conf") }
        switch mode.hosts {
        case "host": readOnlyBind("/etc/hosts", "/etc/hosts")
        case "stage0": readOnlyBind(PathUtil.join(stage1Rootfs, Stage1Path.hosts), "/etc/hosts")
        default: break
        }
        return out
    }

    /// Source path of a volume: its host source, or the pod's shared directory for empty ones.
    public static func source(of volume: Volume, podDir: String) -> String {
        if volume.kind == Volume.kindEmpty {
            return PathUtil.join(podDir, PodFile.sharedVolumes, volume.name)
        }
        return volume.source ?? ""
    }

    /// The empty volumes to create before mounting (mode defaults to 0755, owner to root).
    public static func emptyVolumes(_ volumes: [Volume], podDir: String) -> [FlyEmptyVolume] {
        volumes.filter { $0.kind == Volume.kindEmpty }.map { v in
            FlyEmptyVolume(path: source(of: v, podDir: podDir), mode: v.modeBits ?? 0o755,
                           uid: UInt32(clamping: v.uid ?? 0), gid: UInt32(clamping: v.gid ?? 0))
        }
    }

    /// Volume mounts, merging the runtime app's mounts with the image's and app's mount points
    /// (rkt: evaluateMounts). `hostMounts` gives the host's mount points in mountinfo order; it
    /// is called only when the app has a mount at all, because reading mountinfo is most of fly's
    /// own start-up (the kernel escapes the pod overlays' long options byte by byte).
    /// Bind mounts are non-recursive unless `recursive=true`; read-only ones get a remount, and
    /// with `recursive` one per submount of the source as well.
    public static func volumes(app: RuntimeApp, imageApp: App?, volumes: [Volume], rootfs: String,
                               podDir: String, hostMounts readHostMounts: () throws -> [String]) throws -> [FlyMount] {
        var order: [String] = []
        var mounts: [String: Mount] = [:]
        var vols: [String: Volume] = [:]

        for m in app.mounts {
            if mounts[m.volume] != nil { throw RktError("duplicate mount given: \"\(m.volume)\"") }
            mounts[m.volume] = m
            order.append(m.volume)
        }
        func addMountPoints(_ mps: [MountPoint]) throws {
            for mp in mps {
                if let m = mounts[mp.name] {
                    if m.path != mp.path {
                        throw RktError("conflicting path information from mount and mountpoint \"\(mp.name)\"")
                    }
                } else {
                    mounts[mp.name] = Mount(volume: mp.name, path: mp.path)
                    order.append(mp.name)
                }
            }
        }
        let imageMountPoints = imageApp?.mountPoints ?? []
        try addMountPoints(imageMountPoints)
        try addMountPoints(app.app?.mountPoints ?? [])

        for v in volumes {
            guard mounts[v.name] != nil else { throw RktError("missing mount for volume \"\(v.name)\"") }
            vols[v.name] = v
        }
        for mp in imageMountPoints {
            guard var v = vols[mp.name] else { throw RktError("missing volume for mountpoint \"\(mp.name)\"") }
            if v.readOnly == nil {
                v.readOnly = mp.readOnly
                vols[mp.name] = v
            }
        }

        let hostMounts = order.isEmpty ? [] : try readHostMounts()
        let hostMountSet = Set(hostMounts)
        var out: [FlyMount] = []
        for name in order {
            guard let m = mounts[name] else { continue }
            // rkt keeps mounts without a volume in the map and binds an empty source, which fails
            // at mount time; report the missing volume instead.
            guard let v = vols[name] else { throw RktError("missing volume for mount \"\(name)\"") }
            let src = source(of: v, podDir: podDir)
            if hostMountSet.contains(src) {
                // Shared, so the app's mounts under the volume propagate back to the host.
                out.append(FlyMount("", "", src, "none", [.rec, .shared]))
            }
            let recursive = v.recursive ?? false
            let readOnly = v.readOnly ?? false
            var flags: MountFlags = .bind
            if recursive { flags.insert(.rec) }
            out.append(FlyMount(src, rootfs, m.path, "none", flags))
            if readOnly {
                let ro = flags.union([.remount, .readOnly])
                out.append(FlyMount("", rootfs, m.path, "none", ro))
                if recursive {
                    for sub in hostMounts where sub.hasPrefix(src + "/") {
                        out.append(FlyMount("", rootfs, m.path + sub.dropFirst(src.count), "none", ro))
                    }
                }
            }
        }
        return out
    }
}
