import Foundation
import RktCommon
import Stage0Core
import RktOS
import RktJSON

/// What `rkt image gc` must keep, read straight from the pod directories (rkt: rkt/image_gc.go
/// `getReferencedTreeStoreIDs`, `getRunningImages`). Callers hold the exclusive prepare lock so
/// no new pod can reference a tree while this runs.
public enum PodTreeReferences {
    /// Pods in these directories keep their trees (all but `garbage`, as rkt's IncludeMostDirs).
    static let referencingDirs: [PodState] = [.embryo, .prepare, .prepared, .run, .exitedGarbage]

    /// Tree IDs named by `stage1TreeStoreID` and `appsinfo/*/treeStoreID` of every such pod.
    public static func referencedTreeIDs(dataDir: String) -> Set<String> {
        var ids: Set<String> = []
        for podDir in podDirectories(dataDir: dataDir, in: referencingDirs) {
            if let id = readID("\(podDir)/\(PodFile.stage1TreeStoreID)") { ids.insert(id) }
            let apps = (try? FileManager.default.contentsOfDirectory(atPath: "\(podDir)/\(PodFile.appsInfo)")) ?? []
            for app in apps {
                if let id = readID("\(podDir)/\(PodFile.appsInfo)/\(app)/treeStoreID") { ids.insert(id) }
            }
        }
        return ids
    }

    /// Image IDs of the apps of pods that are running (in `run/` with their lock held).
    public static func runningImageIDs(dataDir: String) -> Set<String> {
        var ids: Set<String> = []
        for podDir in podDirectories(dataDir: dataDir, in: [.run]) where isLocked(podDir) {
            guard let data = FileManager.default.contents(atPath: "\(podDir)/\(PodFile.manifest)"),
                let manifest = try? parseJSON(Array(data))
            else { continue }
            for app in manifest["apps"]?.arrayValue ?? [] {
                if let id = app["image"]?["id"]?.stringValue { ids.insert(id) }
            }
        }
        return ids
    }

    /// `<data>/pods/<state>/<uuid>` directories.
    static func podDirectories(dataDir: String, in states: [PodState]) -> [String] {
        states.flatMap { state -> [String] in
            let dir = "\(dataDir)/pods/\(state.rawValue)"
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            return names.sorted().map { "\(dir)/\($0)" }
        }
    }

    static func readID(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let id = String(decoding: data, as: UTF8.self).trimmingSpaces()
        return id.isEmpty ? nil : id
    }

    /// A pod directory whose lock somebody holds exclusively (a non-blocking shared lock fails).
    static func isLocked(_ dir: String) -> Bool {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }
}
