import Glibc
import RktCommon
import RktOS

/// Performs a planned `FlyMount`: resolves the target inside the app rootfs, creates it as a
/// file or directory to match the source, checks file/dir agreement, then mounts.
struct FlyMounter {
    let log: FlyLog

    /// Host path of the mount target.
    func target(of m: FlyMount) throws -> String {
        guard !m.targetPrefix.isEmpty else { return m.relTarget }
        do {
            return try SecurePath.hostPath(root: m.targetPrefix, path: m.relTarget)
        } catch {
            throw RktError("evaluate target path \"\(m.relTarget)\" in \"\(m.targetPrefix)\"", cause: error)
        }
    }

    func perform(_ m: FlyMount) throws {
        log.diag("Processing \(m)")
        var hostInfo: FileStat?
        if m.hostPath.hasPrefix("/") {
            do {
                hostInfo = try FileSystem.stat(m.hostPath)
            } catch {
                throw RktError("stat of host path \(m.hostPath)", cause: error)
            }
        }
        let absTarget = try target(of: m)
        let targetInfo: FileStat?
        do {
            targetInfo = try FileSystem.statIfExists(absTarget)
        } catch {
            throw RktError("stat of target path \(absTarget)", cause: error)
        }

        if m.isRemount {
            log.diag("don't attempt to create files for remount of \"\(absTarget)\"")
        } else if targetInfo == nil {
            do {
                try FileSystem.mkdirAll(PathUtil.dirname(absTarget))
            } catch {
                throw RktError("can't create directory \"\(absTarget)\"", cause: error)
            }
            if hostInfo == nil || hostInfo?.isDirectory == true {
                do {
                    try FileSystem.mkdir(absTarget, mode: 0o755)
                } catch {
                    throw RktError("can't create directory \"\(absTarget)\"", cause: error)
                }
            } else {
                do {
                    let fd = try FileIO.open(absTarget, O_WRONLY | O_CREAT, mode: 0o700)
                    FileIO.close(fd)
                } catch {
                    throw RktError("can't create file \"\(absTarget)\"", cause: error)
                }
            }
        } else if let h = hostInfo, let t = targetInfo {
            if h.isDirectory && !t.isDirectory {
                throw RktError("can't mount because \"\(m.hostPath)\" is a directory while \"\(absTarget)\" is not")
            }
            if !h.isDirectory && t.isDirectory {
                throw RktError("can't mount because \"\(m.hostPath)\" is not a directory while \"\(absTarget)\" is")
            }
        }

        do {
            if m.isRemount && m.flags.contains(.bind) {
                // Keeps the mount's nosuid/nodev/noexec, which a bare bind remount would drop.
                try Mounts.remountReadOnly(absTarget, bindFlags: m.flags.subtracting([.remount, .readOnly]))
            } else {
                try Mounts.mount(source: m.hostPath, target: absTarget, fsType: m.fsType, flags: m.flags)
            }
        } catch {
            throw RktError("can't mount \"\(m.hostPath)\" on \"\(absTarget)\" with flags \(m.flags.rawValue)", cause: error)
        }
    }

    /// Creates an empty volume's directory with its mode and owner.
    func prepare(_ v: FlyEmptyVolume) throws {
        do {
            try FileSystem.mkdirAll(v.path)
            try FileSystem.chown(v.path, uid: v.uid, gid: v.gid)
            try FileSystem.chmod(v.path, mode_t(v.mode))
        } catch {
            throw RktError("can't prepare empty volume \(v.path)", cause: error)
        }
    }
}
