import RktCommon
import Stage0Core

/// `rkt rm` of one pod (rkt: rkt/rm.go `removePod`): refuse active pods, move the rest to the
/// garbage directories, lock and delete at once.
public struct PodRemover {
    public var dataDir: String
    public var debug = false
    public var localConfigDir = "/etc/rkt"
    /// stderr lines, without the `rm: ` prefix.
    public var stderr: (String) -> Void = { _ in }

    public init(dataDir: String) {
        self.dataDir = dataDir
    }

    /// True when the pod is gone.
    public func remove(_ p: Pod) -> Bool {
        switch p.state {
        case .running:
            stderr("pod \"\(p.uuid)\" is currently running")
            return false
        case .embryo, .preparing:
            stderr("pod \"\(p.uuid)\" is currently being prepared")
            return false
        case .deleting, .exitedDeleting:
            stderr("pod \"\(p.uuid)\" is currently being deleted")
            return false
        case .abortedPrepare:
            stderr("moving failed prepare \"\(p.uuid)\" to garbage")
            guard rename(p, { try $0.toGarbage() }) else { return false }
        case .prepared:
            stderr("moving expired prepared pod \"\(p.uuid)\" to garbage")
            guard rename(p, { try $0.toGarbage() }) else { return false }
        case .exitedGarbage, .garbage:
            break
        case .exited:
            guard rename(p, { try $0.toExitedGarbage() }) else { return false }
        }
        do {
            try p.lockExclusive()
        } catch {
            stderr("unable to acquire exclusive lock: \(error)")
            return false
        }
        return PodDeleter(pod: p, debug: debug, localConfigDir: localConfigDir, stderr: stderr).delete()
    }

    private func rename(_ p: Pod, _ body: (Pod) throws -> Void) -> Bool {
        do {
            try body(p)
            return true
        } catch {
            stderr("rename error: \(error)")
            return false
        }
    }
}
