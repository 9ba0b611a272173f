#if canImport(Glibc)
import Glibc
#endif
import RktCommon

/// Finding pods on disk and probing their state (rkt: pkg/pod/pods.go `getPod`, `WalkPods`).
extension Pod {
    /// The directories `rkt list` walks and UUID prefixes resolve over.
    public static let listedDirs: [PodState] = [.prepare, .prepared, .run, .exitedGarbage]

    /// Opens pod `uuid` (full, lower-case) in the first state directory that holds it, in lifecycle
    /// order, and probes its lock. Returns nil when it is in none of them (it vanished).
    public static func open(dataDir: String, uuid: String) throws -> Pod? {
        // Pods only ever move forward in this order, so a scan in the same order cannot miss one
        // that moves while we look (it can only move ahead of us).
        for d in PodState.allCases {
            let p = path(dataDir: dataDir, dir: d, uuid: uuid)
            let fd = Glibc.open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd < 0 {
                if errno == ENOENT || errno == ENOTDIR { continue }
                throw RktError.errno("cannot open pod directory", p)
            }
            let state: State
            do {
                state = try probe(fd: fd, dir: d, path: p)
            } catch {
                Glibc.close(fd)
                throw error
            }
            // An unlocked prepare/ pod may simply have just moved on to prepared/ and unlocked;
            // only call it aborted if it is still there after the probe.
            if state == .abortedPrepare, access(p, F_OK) != 0 {
                Glibc.close(fd)
                return try open(dataDir: dataDir, uuid: uuid)
            }
            return Pod(dataDir: dataDir, uuid: uuid, dir: d, state: state, lockFD: fd, exclusive: false)
        }
        return nil
    }

    /// The state of a pod whose directory `fd` sits in `dir`: a non-blocking shared lock that
    /// fails means somebody holds it exclusively.
    static func probe(fd: Int32, dir: PodState, path: String) throws -> State {
        let locked: Bool
        switch dir {
        case .embryo: return .embryo
        case .prepared: return .prepared
        default:
            if flock(fd, LOCK_SH | LOCK_NB) == 0 {
                flock(fd, LOCK_UN)
                locked = false
            } else if errno == EWOULDBLOCK {
                locked = true
            } else {
                throw RktError("unexpected lock error on pod \(path)", causes: [RktError.strerror(errno)])
            }
        }
        switch dir {
        case .prepare: return locked ? .preparing : .abortedPrepare
        case .run: return locked ? .running : .exited
        case .exitedGarbage: return locked ? .exitedDeleting : .exitedGarbage
        default: return locked ? .deleting : .garbage
        }
    }

    /// Resolves a case-insensitive unique UUID prefix over prepare, prepared, run and
    /// exited-garbage, and opens the pod.
    public static func load(dataDir: String, uuidPrefix: String) throws -> Pod {
        let prefix = uuidPrefix.lowercased()
        guard !prefix.isEmpty else { throw RktError("UUID cannot be empty") }
        var matches = Set<String>()
        for d in listedDirs {
            for name in directoryEntries("\(dataDir)/pods/\(d.rawValue)") where name.hasPrefix(prefix) {
                matches.insert(name)
            }
        }
        guard !matches.isEmpty else {
            throw RktError("no matches found for \"\(prefix)\"")
        }
        guard matches.count == 1, let uuid = matches.first else {
            throw RktError("ambiguous uuid, \(matches.count) matches")
        }
        guard let pod = try open(dataDir: dataDir, uuid: uuid) else {
            throw RktError("no matches found for \"\(prefix)\"")
        }
        return pod
    }

    /// Every pod in `dirs` (default: the ones `rkt list` shows), de-duplicated and sorted by UUID.
    /// Pods that vanish during the scan are skipped; other errors go to `onError`.
    public static func all(dataDir: String, dirs: [PodState] = listedDirs,
                           onError: (String, any Error) -> Void = { _, _ in }) -> [Pod] {
        var seen = Set<String>()
        var uuids: [String] = []
        for d in dirs {
            for name in directoryEntries("\(dataDir)/pods/\(d.rawValue)") where !seen.contains(name) {
                seen.insert(name)
                uuids.append(name)
            }
        }
        uuids.sort()
        var pods: [Pod] = []
        pods.reserveCapacity(uuids.count)
        for u in uuids {
            do {
                if let p = try open(dataDir: dataDir, uuid: u), dirs.contains(p.dir) { pods.append(p) }
            } catch {
                onError(u, error)
            }
        }
        return pods
    }

    /// Names in a directory, without `.`/`..`; empty when it does not exist.
    static func directoryEntries(_ path: String) -> [String] {
        guard let d = opendir(path) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let ent = readdir(d) {
            let name = withUnsafePointer(to: ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
