#if canImport(Glibc)
import Glibc
#endif
import CShim
import RktCommon

/// One pod directory and its lifecycle (rkt-architecture.md §2.4; rkt: pkg/pod/pods.go).
///
/// A pod's state is the directory it sits in (`PodState`) combined with whether somebody holds an
/// exclusive flock on the directory. A `Pod` value is a snapshot: the directory may move or vanish
/// at any moment, so every reader tolerates ENOENT and lost races.
///
/// The pod holds an fd on its directory (`lockFD`, `O_RDONLY|O_DIRECTORY|O_CLOEXEC`). The creator
/// keeps it exclusively locked and hands it to stage1 as `RKT_LOCK_FD`; readers only probe it.
public final class Pod {
    /// The lifecycle states rkt reports (`rkt list`, `rkt status`). Raw values are rkt's strings.
    public enum State: String, Sendable, CaseIterable {
        case embryo
        case preparing
        case abortedPrepare = "aborted prepare"
        case prepared
        case running
        case deleting
        case exitedDeleting = "exited deleting"
        case exited
        case exitedGarbage = "exited garbage"
        case garbage

        /// The pod has run and is no longer running (status prints `exited=true`, app codes).
        public var isAfterRun: Bool {
            switch self {
            case .exited, .exitedGarbage, .exitedDeleting, .deleting, .garbage: return true
            default: return false
            }
        }
    }

    public let dataDir: String
    /// Lower-case canonical UUID (`xxxxxxxx-xxxx-…`).
    public let uuid: String
    /// The directory the pod was found in (or moved to by this process).
    public private(set) var dir: PodState
    /// The state observed when the pod was loaded, or set by this process's transitions.
    public private(set) var state: State
    /// fd on the pod directory; -1 once closed.
    public private(set) var lockFD: Int32
    /// True while this process holds the exclusive lock.
    public private(set) var isLockedExclusive: Bool

    init(dataDir: String, uuid: String, dir: PodState, state: State, lockFD: Int32, exclusive: Bool) {
        self.dataDir = dataDir
        self.uuid = uuid
        self.dir = dir
        self.state = state
        self.lockFD = lockFD
        self.isLockedExclusive = exclusive
    }

    deinit {
        if lockFD >= 0 { Glibc.close(lockFD) }
    }

    /// Absolute path of the pod directory in its current state directory.
    public var path: String { Pod.path(dataDir: dataDir, dir: dir, uuid: uuid) }

    public static func podsDir(dataDir: String) -> String { "\(dataDir)/pods" }

    public static func path(dataDir: String, dir: PodState, uuid: String) -> String {
        "\(dataDir)/pods/\(dir.rawValue)/\(uuid)"
    }

    /// Path of a file inside the pod directory (`PodFile` names).
    public func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Releases the directory fd (and any lock held through it) now instead of at deinit.
    public func close() {
        if lockFD >= 0 { Glibc.close(lockFD) }
        lockFD = -1
        isLockedExclusive = false
    }

    // MARK: - Creation and transitions

    /// `NewPod`: mkdir `embryo/<uuid>` (0750), open it, take LOCK_EX, rename to `prepare/<uuid>`.
    /// The returned pod is `preparing` and holds the exclusive lock. `stateDirsExist`: the caller
    /// just ran `ensureStateDirs`.
    public static func create(dataDir: String, stateDirsExist: Bool = false) throws -> Pod {
        if !stateDirsExist { try ensureStateDirs(dataDir: dataDir) }
        let uuid = PodUUID.random().description
        let embryo = path(dataDir: dataDir, dir: .embryo, uuid: uuid)
        guard mkdir(embryo, 0o750) == 0 else { throw RktError.errno("cannot create pod directory", embryo) }
        let fd = Glibc.open(embryo, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            let err = RktError.errno("cannot open pod directory", embryo)
            rmdir(embryo)
            throw err
        }
        guard flock(fd, LOCK_EX) == 0 else {
            let err = RktError.errno("cannot lock pod directory", embryo)
            Glibc.close(fd)
            rmdir(embryo)
            throw err
        }
        let pod = Pod(dataDir: dataDir, uuid: uuid, dir: .embryo, state: .embryo, lockFD: fd, exclusive: true)
        do {
            try pod.move(to: .prepare, state: .preparing)
        } catch {
            pod.close()
            rmdir(embryo)
            throw error
        }
        return pod
    }

    /// Creates `pods/<state>/` for every state (mode 0750, like rkt's `initPods`).
    public static func ensureStateDirs(dataDir: String) throws {
        for d in [dataDir, "\(dataDir)/pods"] + PodState.allCases.map({ "\(dataDir)/pods/\($0.rawValue)" }) {
            if mkdir(d, 0o750) != 0 && errno != EEXIST {
                throw RktError.errno("cannot create pods directory", d)
            }
        }
    }

    /// `ToPrepared` (creator only): rename `prepare/u` → `prepared/u`, then unlock.
    public func toPrepared() throws {
        guard dir == .prepare, isLockedExclusive else {
            throw RktError("cannot move pod \(uuid) to prepared: pod is \(state.rawValue)")
        }
        // A prepared pod is run later, maybe after a reboot: its files (manifest, trees copied
        // with --no-overlay) reach the disk before it shows up in prepared/.
        if lockFD >= 0 { _ = rkt_syncfs(lockFD) }
        try move(to: .prepared, state: .prepared)
        unlock()
    }

    /// `ToRun`: a prepared pod is locked exclusively (blocking) and renamed to `run/`; the creator
    /// may also go straight from `prepare/`. The lock stays held: it is handed to stage1.
    public func toRun() throws {
        switch dir {
        case .prepared:
            try lockExclusive()
        case .prepare where isLockedExclusive:
            break
        default:
            throw RktError("cannot run pod \(uuid): pod is \(state.rawValue)")
        }
        try move(to: .run, state: .running)
    }

    /// `ToExitedGarbage` (gc mark, rm): rename `run/u` → `exited-garbage/u`. The rename sets the
    /// directory ctime, which starts the grace period.
    public func toExitedGarbage() throws {
        guard dir == .run else {
            throw RktError("cannot move pod \(uuid) to exited-garbage: pod is \(state.rawValue)")
        }
        try move(to: .exitedGarbage, state: isLockedExclusive ? .exitedDeleting : .exitedGarbage)
    }

    /// `ToGarbage`: rename an aborted `prepare/u` or a `prepared/u` to `garbage/u`.
    public func toGarbage() throws {
        guard dir == .prepare || dir == .prepared else {
            throw RktError("cannot move pod \(uuid) to garbage: pod is \(state.rawValue)")
        }
        try move(to: .garbage, state: isLockedExclusive ? .deleting : .garbage)
    }

    /// Rename to another state directory. Only a move to `prepared/` is fsynced: a crash makes any
    /// other pod garbage for `rkt gc` whichever directory it is found in (an unlocked pod in
    /// `prepare/` or `run/`), as in rkt, and each fsync is a disk write on the pod's start path.
    func move(to target: PodState, state newState: State) throws {
        let from = path
        let to = Pod.path(dataDir: dataDir, dir: target, uuid: uuid)
        guard rename(from, to) == 0 else {
            throw RktError.errno("cannot rename pod directory \(from) to", to)
        }
        dir = target
        state = newState
        if target == .prepared { try Pod.fsyncDir("\(dataDir)/pods/\(target.rawValue)") }
    }

    static func fsyncDir(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw RktError.errno("cannot open directory", path) }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw RktError.errno("cannot sync directory", path) }
    }

    // MARK: - Locking

    /// Blocking exclusive lock on the pod directory (gc sweep, rm, run-prepared).
    public func lockExclusive() throws {
        guard lockFD >= 0 else { throw RktError("cannot lock pod \(uuid): directory is closed") }
        while flock(lockFD, LOCK_EX) != 0 {
            if errno != EINTR { throw RktError.errno("cannot lock pod directory", path) }
        }
        isLockedExclusive = true
        switch dir {
        case .prepare: state = .preparing
        case .run: state = .running
        case .exitedGarbage: state = .exitedDeleting
        case .garbage: state = .deleting
        default: break
        }
    }

    /// Non-blocking exclusive lock; false when another process holds a lock.
    public func tryLockExclusive() throws -> Bool {
        guard lockFD >= 0 else { return false }
        if flock(lockFD, LOCK_EX | LOCK_NB) == 0 {
            isLockedExclusive = true
            return true
        }
        if errno == EWOULDBLOCK { return false }
        throw RktError.errno("cannot lock pod directory", path)
    }

    public func unlock() {
        if lockFD >= 0 { flock(lockFD, LOCK_UN) }
        isLockedExclusive = false
    }

    /// Clears FD_CLOEXEC on the lock fd so it survives the exec into stage1 (`RKT_LOCK_FD`).
    public func keepLockAcrossExec() throws {
        let flags = fcntl(lockFD, F_GETFD)
        guard flags >= 0, fcntl(lockFD, F_SETFD, flags & ~FD_CLOEXEC) == 0 else {
            throw RktError.errno("cannot clear close-on-exec on pod lock", path)
        }
    }
}
