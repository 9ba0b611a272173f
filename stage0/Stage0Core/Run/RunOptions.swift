import RktCommon

/// A `NAME=VALUE` pair whose order matters (environment, annotations, labels all keep the order
/// the user gave them, so manifests are reproducible).
public struct KeyValue: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
    public var description: String { "\(name)=\(value)" }
}

/// `--mount volume=NAME,target=PATH` (pod-wide before the first image, per-app after it).
public struct MountSpec: Sendable, Equatable {
    public var volume: String
    public var target: String
    public init(volume: String, target: String) {
        self.volume = volume
        self.target = target
    }
}

/// `--volume NAME,kind=host,source=…,readOnly=…,recursive=…` or `NAME,kind=empty,mode=…,uid=…,gid=…`.
public struct VolumeSpec: Sendable, Equatable {
    public enum Kind: String, Sendable { case host, empty }
    public var name: String
    public var kind: Kind
    public var source: String?
    public var readOnly: Bool?
    public var recursive: Bool?
    public var mode: String?
    public var uid: Int?
    public var gid: Int?
    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

/// `--port NAME:[HOSTIP:]HOSTPORT`.
public struct PortSpec: Sendable, Equatable {
    public var name: String
    public var hostIP: String?
    public var hostPort: UInt16
    public init(name: String, hostIP: String? = nil, hostPort: UInt16) {
        self.name = name
        self.hostIP = hostIP
        self.hostPort = hostPort
    }
}

/// One `--net` entry: a network name with optional CNI_ARGS (`name:K=V;K2=V2`).
public struct NetEntry: Sendable, Equatable {
    public var name: String
    public var args: String?
    public init(name: String, args: String? = nil) {
        self.name = name
        self.args = args
    }
    /// The form passed to stage1 in `--net=`.
    public var flagValue: String { args.map { "\(name):\($0)" } ?? name }
}

/// Which `--stage1-*` flag chose the stage1 image (they are mutually exclusive).
public enum Stage1Choice: Sendable, Equatable {
    case path(String)
    case url(String)
    case name(String)
    case hash(String)
    case fromDir(String)

    public var flagName: String {
        switch self {
        case .path: return "stage1-path"
        case .url: return "stage1-url"
        case .name: return "stage1-name"
        case .hash: return "stage1-hash"
        case .fromDir: return "stage1-from-dir"
        }
    }
}

/// One app as given on the command line: an image and the per-app flags that followed it.
public struct CLIApp: Sendable, Equatable {
    public var image: String
    public var name: String?
    public var exec: String?
    public var args: [String] = []
    public var user: String?
    public var group: String?
    public var supplementaryGIDs: [Int]?
    public var workingDir: String?
    public var environment: [KeyValue] = []
    public var mounts: [MountSpec] = []
    /// Raw `--memory` / `--cpu` strings; validated as quantities when parsed.
    public var memory: String?
    public var cpu: String?
    public var cpuShares: Int?
    public var capsRetain: [String]?
    public var capsRemove: [String]?
    public var seccomp: String?
    public var oomScoreAdj: Int?
    public var readOnlyRootFS: Bool?
    public var userAnnotations: [KeyValue] = []
    public var userLabels: [KeyValue] = []
    public var annotations: [KeyValue] = []
    public var signature: String?
    public var stdin: String?
    public var stdout: String?
    public var stderr: String?

    public init(image: String) { self.image = image }
}

/// Everything `run`, `prepare` and `run-prepared` read from their command line.
public struct RunOptions: Sendable, Equatable {
    public var apps: [CLIApp] = []
    public var volumes: [VolumeSpec] = []
    /// `--mount` flags given before the first image: applied to every app.
    public var podMounts: [MountSpec] = []
    public var ports: [PortSpec] = []
    /// `--net` entries in order; empty means "not given" (stage1 gets `--net=default`).
    public var net: [NetEntry] = []
    public var dns: [String] = []
    public var dnsSearch: [String] = []
    public var dnsOpt: [String] = []
    public var dnsDomain: String?
    public var hostsEntries: [String] = []
    public var hostname: String?
    public var inheritEnv = false
    public var setEnv: [KeyValue] = []
    /// Variables read from every `--set-env-file`, in file order.
    public var envFromFile: [KeyValue] = []
    public var interactive = false
    public var ipc: String?
    public var mdsRegister = false
    public var noOverlay = false
    public var privateUsers = false
    public var pullPolicy = "new"
    public var pullPolicyGiven = false
    public var storeOnly = false
    public var noStore = false
    public var podManifest: String?
    public var uuidFileSave: String?
    public var stage1: Stage1Choice?
    public var quiet = false
    /// `run-prepared`: the pod UUID (or unique prefix).
    public var uuid: String?
    /// Global flags (`--debug`, `--dir=…`) met among the subcommand's own arguments, normalised to
    /// `--name=value`, so the command can apply them as cobra's persistent flags would.
    public var globalArgs: [String] = []

    public init() {}

    /// `--net=host`.
    public var netHost: Bool { net.contains { $0.name == "host" } }
    /// `--net=none`.
    public var netNone: Bool { net.contains { $0.name == "none" } }

    /// The `--net=` value handed to stage1: `default` when no `--net` was given.
    public var netFlagValue: String {
        net.isEmpty ? "default" : net.map(\.flagValue).joined(separator: ",")
    }
}
