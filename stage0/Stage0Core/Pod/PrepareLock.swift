#if canImport(Glibc)
import Glibc
#endif
import RktCommon
import RktOS

/// `locks/prepareLock` (rkt: common.PrepareLock): prepare holds it shared while it references
/// trees, image gc exclusively while it removes them.
public final class PrepareLock {
    private let fd: Int32

    public init(dataDir: String, exclusive: Bool) throws {
        let dir = "\(dataDir)/locks"
        do {
            try FileSystem.mkdirAll(dir, mode: 0o755)
        } catch {
            throw RktError("cannot create lock directory \(dir)", cause: error)
        }
        let path = "\(dir)/prepareLock"
        fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw RktError.errno("cannot open prepare lock", path) }
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            if errno == EINTR { continue }
            let err = RktError.errno("cannot get \(exclusive ? "exclusive" : "shared") prepare lock", path)
            close(fd)
            throw err
        }
    }

    deinit { close(fd) }
}
