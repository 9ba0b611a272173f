#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RktCommon
import Stage0Core
import RktJSON

/// What `rkt list` and `rkt status` show about one pod, read once from disk. A value type so the
/// formatting can be tested without pods on disk.
public struct PodSummary: Sendable {
    public struct App: Sendable, Equatable {
        public var name: String
        /// `name[:version]` from the app's image manifest; nil when it could not be read.
        public var imageName: String?
        public var imageID: String
        public init(name: String, imageName: String?, imageID: String) {
            self.name = name; self.imageName = imageName; self.imageID = imageID
        }
    }

    public var uuid: String
    public var state: Pod.State
    public var created: Date?
    public var started: Date?
    public var gcMarked: Date?
    public var networks: [PodNetInfo]
    /// Apps of the pod manifest; empty while it is not available (embryo, preparing, aborted).
    public var apps: [App]
    public var pid: Int32?
    public var exitCodes: [(app: String, code: Int32)]
    public var userAnnotations: JSONValue?
    public var userLabels: JSONValue?
    /// Problems met while reading (shown after the `list` table).
    public var errors: [String]
    /// The pod directory disappeared while it was read (a concurrent gc or rm): not an error,
    /// the pod is simply no longer there to list.
    public var vanished = false

    public init(uuid: String, state: Pod.State, created: Date? = nil, started: Date? = nil,
                networks: [PodNetInfo] = [], apps: [App] = [], pid: Int32? = nil,
                exitCodes: [(app: String, code: Int32)] = []) {
        self.uuid = uuid; self.state = state; self.created = created; self.started = started
        self.gcMarked = nil; self.networks = networks; self.apps = apps; self.pid = pid
        self.exitCodes = exitCodes; self.userAnnotations = nil; self.userLabels = nil; self.errors = []
    }

    /// Whether the pod manifest can be read in this state (rkt: `PodManifestAvailable`).
    public static func manifestAvailable(_ s: Pod.State) -> Bool {
        switch s {
        case .embryo, .preparing, .abortedPrepare: return false
        default: return true
        }
    }

    /// Reads the summary of `pod`. `imageNames` reads each app's image manifest (list needs it,
    /// status does not); `exitCodes` reads the status files.
    public init(pod: Pod, imageNames: Bool, exitCodes readCodes: Bool) {
        self.init(uuid: pod.uuid, state: pod.state)
        created = pod.creationTime()
        started = pod.startTime()
        gcMarked = pod.gcMarkedTime()
        if pod.dir == .run { networks = pod.networks() }
        if [.running, .exited, .exitedGarbage, .exitedDeleting, .deleting].contains(state) {
            pid = pod.recordedPid()
        }
        if Self.manifestAvailable(state) {
            do {
                let m = try pod.manifest()
                userAnnotations = m.userAnnotations
                userLabels = m.userLabels
                for a in m.apps {
                    var name: String?
                    if imageNames {
                        do { name = try pod.appImageName(a.name) } catch {
                            if access(pod.path, F_OK) != 0 { vanished = true; break }
                            errors.append("unable to load image manifest for app \(a.name) of pod \(pod.uuid): \(error)")
                        }
                    }
                    apps.append(App(name: a.name, imageName: name, imageID: a.imageID))
                }
            } catch {
                if access(pod.path, F_OK) != 0 {
                    vanished = true
                } else {
                    errors.append("unable to read pod manifest of pod \(pod.uuid): \(error)")
                }
            }
        }
        if readCodes && state != .running && state.isAfterRun {
            exitCodes = pod.appExitCodes()
        }
    }

    /// `name:ip4=addr, …` (rkt: `fmtNets`).
    public var networksString: String {
        networks.map { "\($0.netName):ip4=\($0.ip)" }.joined(separator: ", ")
    }

    /// The api/v1 `Pod` JSON (rkt: api/v1/json.go, lib/pod.go `NewPodFromInternalPod`).
    public var apiJSON: JSONValue {
        var o: [(String, JSONValue)] = [("name", .string(uuid)), ("state", .string(state.rawValue))]
        if !networks.isEmpty { o.append(("networks", .array(networks.map(\.raw)))) }
        if !apps.isEmpty { o.append(("app_names", .array(apps.map { .string($0.name) }))) }
        if let started { o.append(("started_at", .int(Int64(started.timeIntervalSince1970.rounded(.down))))) }
        if let userAnnotations { o.append(("user_annotations", userAnnotations)) }
        if let userLabels { o.append(("user_labels", userLabels)) }
        return .object(JSONObject(o))
    }
}
