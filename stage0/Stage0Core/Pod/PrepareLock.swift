import RktCommon
import RktOS

/// `locks/prepareLock` (rkt: common.PrepareLock), a key lock: prepare holds it shared while it
/// references trees, image gc exclusively while it removes them. Held while the returned lock
/// lives.
public enum PrepareLock {
    public static func take(dataDir: String, exclusive: Bool) throws -> FileLock {
        let dir = "\(dataDir)/locks"
        do {
            try FileSystem.mkdirAll(dir, mode: 0o755)
        } catch {
            throw RktError("cannot create lock directory \(dir)", cause: error)
        }
        let path = "\(dir)/prepareLock"
        do {
            return try FileLock.keyFile(path, exclusive: exclusive, mode: 0o640)
        } catch {
            throw RktError("cannot get \(exclusive ? "exclusive" : "shared") prepare lock \(path)", cause: error)
        }
    }
}
