#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RktCommon
import Stage0Core

/// A pod's times as `Date`s, for list, status and gc (rkt-architecture.md §3.4). In `rkt-full`
/// only: `rkt` formats no dates.
extension Pod {
    // MARK: - Times

    /// Creation time: mtime of `pod-created`, falling back to `pod`.
    public func creationTime() -> Date? {
        Pod.statTime(file(PodFile.created), ctime: false) ?? Pod.statTime(file(PodFile.manifest), ctime: false)
    }

    /// Start time: mtime of `pid` or `ppid`; nil when the pod never started.
    public func startTime() -> Date? {
        Pod.statTime(file(PodFile.pid), ctime: false) ?? Pod.statTime(file(PodFile.ppid), ctime: false)
    }

    /// When gc marked the pod (ctime of the pod directory after the rename to a garbage dir).
    public func gcMarkedTime() -> Date? {
        guard dir == .exitedGarbage || dir == .garbage else { return nil }
        return Pod.statTime(path, ctime: true)
    }

    /// ctime of the pod directory (expiry of prepared pods, gc grace period).
    public func directoryChangeTime() -> Date? { Pod.statTime(path, ctime: true) }

    static func statTime(_ path: String, ctime: Bool) -> Date? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let ts = ctime ? st.st_ctim : st.st_mtim
        return Date(timeIntervalSince1970: Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9)
    }
}
