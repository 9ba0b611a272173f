/// Names of the on-disk pod layout (rkt-architecture.md §2). Both stages and third-party stage1
/// images depend on these exact names, so they live in one place.
public enum PodState: String, CaseIterable, Sendable {
    case embryo, prepare, prepared, run
    case exitedGarbage = "exited-garbage"
    case garbage
}

public enum PodFile {
    public static let manifest = "pod"
    public static let lock = "pod.lck"
    public static let created = "pod-created"
    public static let stage1TreeStoreID = "stage1TreeStoreID"
    public static let overlayPrepared = "overlay-prepared"
    public static let privateUsersPrepared = "private-users-prepared"
    public static let appsInfo = "appsinfo"
    public static let stage1Dir = "stage1"
    public static let stage1Manifest = "stage1/manifest"
    public static let stage1Rootfs = "stage1/rootfs"
    public static let overlay = "overlay"
    public static let sharedVolumes = "sharedVolumes"
    public static let runtimeConfig = "runtime-config"
    public static let pid = "pid"
    public static let ppid = "ppid"
    public static let pgid = "pgid"
    public static let subcgroup = "subcgroup"
    public static let flavor = "flavor"
    public static let netns = "netns"
    public static let netDir = "net"
    public static let netInfo = "net-info.json"
    /// flock'd by the process tearing the pod's networking down when the pod exits; stage1 gc
    /// takes it before its own teardown.
    public static let netTeardownLock = "net-teardown.lck"
    public static let mdsRegistered = "mds-registered"
    /// Per-app log files written by the full stage1 for `--stdout/--stderr=log` (`rkt logs`).
    public static let logsDir = "logs"
}

/// Reserved paths inside a stage1 rootfs (relative to it).
public enum Stage1Path {
    public static let stage2 = "opt/stage2"
    public static let status = "rkt/status"
    public static let env = "rkt/env"
    public static let iottymux = "rkt/iottymux"
    public static let supervisorStatus = "rkt/supervisor-status"
    public static let resolvConf = "etc/rkt-resolv.conf"
    public static let hosts = "etc/rkt-hosts"
    public static let hostsFallback = "etc/hosts-fallback"
    public static let machineID = "etc/machine-id"

    public static func appDir(_ app: String) -> String { "\(stage2)/\(app)" }
    public static func appRootfs(_ app: String) -> String { "\(stage2)/\(app)/rootfs" }
    public static func appManifest(_ app: String) -> String { "\(stage2)/\(app)/manifest" }
    public static func appStatus(_ app: String) -> String { "\(status)/\(app)" }
    public static func appEnv(_ app: String) -> String { "\(env)/\(app)" }
}

/// Stage1 image manifest annotations naming entrypoints (rkt-architecture.md §3.1).
public enum Stage1Annotation {
    public static let run = "coreos.com/rkt/stage1/run"
    public static let enter = "coreos.com/rkt/stage1/enter"
    public static let gc = "coreos.com/rkt/stage1/gc"
    public static let stop = "coreos.com/rkt/stage1/stop"
    public static let appAdd = "coreos.com/rkt/stage1/app/add"
    public static let appRm = "coreos.com/rkt/stage1/app/rm"
    public static let appStart = "coreos.com/rkt/stage1/app/start"
    public static let appStop = "coreos.com/rkt/stage1/app/stop"
    public static let attach = "coreos.com/rkt/stage1/attach"
    public static let interfaceVersion = "coreos.com/rkt/stage1/interface-version"
}

/// Pod and app annotations rkt's stage0 writes into the pod manifest.
public enum RktAnnotation {
    public static let mutable = "coreos.com/rkt/stage1/mutable"
    public static let stdin = "coreos.com/rkt/stage2/stdin"
    public static let stdout = "coreos.com/rkt/stage2/stdout"
    public static let stderr = "coreos.com/rkt/stage2/stderr"
}

/// Environment variables of the stage0 → stage1 contract.
public enum Stage1Env {
    /// The pod directory fd, exclusively flocked, CLOEXEC cleared; held for the pod's whole life.
    public static let lockFD = "RKT_LOCK_FD"
    public static let selinuxContext = "RKT_SELINUX_CONTEXT"
    public static let selinuxMountContext = "RKT_SELINUX_MOUNT_CONTEXT"
}
