#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RktCommon
import Stage0Core
import RktOS

/// `rkt gc`: mark, expire and sweep pods (rkt-architecture.md §2.5; rkt: rkt/gc.go).
///
/// Messages go through `stdout`/`stderr` closures (without the `gc: ` prefix, which the caller
/// adds to stderr lines) so tests can capture them.
public struct PodGarbageCollector {
    public var dataDir: String
    /// Seconds an exited pod stays in exited-garbage before it is swept (`--grace-period`).
    public var gracePeriod: Double = 30 * 60
    /// Seconds a prepared pod may wait before it is expired (`--expire-prepared`).
    public var expirePrepared: Double = 24 * 3600
    /// `--mark-only`: only move exited and aborted pods to the garbage directories.
    public var markOnly = false
    /// `--debug`: passed on to the stage1 gc entrypoint.
    public var debug = false
    /// `--local-config`, passed to the gc entrypoint of stage1s with interface version ≥ 5.
    public var localConfigDir = "/etc/rkt"
    public var now: () -> Date = { Date() }
    public var stdout: (String) -> Void = { print($0) }
    public var stderr: (String) -> Void = { _ in }

    public init(dataDir: String) {
        self.dataDir = dataDir
    }

    /// Runs the whole collection. Per-pod failures are reported and skipped, as rkt does.
    public func run() {
        markExited()
        markAborted()
        if markOnly { return }
        expirePreparedPods()
        sweep(.exitedGarbage)
        sweep(.garbage)
    }

    /// Mark: every exited `run/` pod goes to exited-garbage (the rename starts its grace period).
    public func markExited() {
        for p in Pod.all(dataDir: dataDir, dirs: [.run], onError: report) where p.state == .exited {
            stderr("moving pod \"\(p.uuid)\" to garbage")
            renameTolerant(p) { try $0.toExitedGarbage() }
        }
    }

    /// Mark: every aborted prepare goes to garbage.
    public func markAborted() {
        for p in Pod.all(dataDir: dataDir, dirs: [.prepare], onError: report) where p.state == .abortedPrepare {
            stderr("moving failed prepare \"\(p.uuid)\" to garbage")
            renameTolerant(p) { try $0.toGarbage() }
        }
    }

    /// Expire: prepared pods whose directory ctime is older than `expirePrepared`.
    public func expirePreparedPods() {
        for p in Pod.all(dataDir: dataDir, dirs: [.prepared], onError: report) {
            guard let ctime = p.directoryChangeTime() else { continue }
            if now() > ctime.addingTimeInterval(expirePrepared) {
                stderr("moving expired prepared pod \"\(p.uuid)\" to garbage")
                renameTolerant(p) { try $0.toGarbage() }
            }
        }
    }

    /// Sweep: delete pods in exited-garbage (past the grace period) or garbage (always).
    ///
    /// Deleting a pod is mostly waiting (its stage1 gc process, overlay unmounts that flush the
    /// filesystem, unlinks), so up to `sweepWorkers` pods are deleted at once; each is still
    /// deleted under its own exclusive lock, and messages are written whole, one at a time.
    public func sweep(_ dir: PodState) {
        var due: [Pod] = []
        for p in Pod.all(dataDir: dataDir, dirs: [dir], onError: report) {
            if dir == .exitedGarbage {
                guard let ctime = p.directoryChangeTime() else { continue }
                guard now() > ctime.addingTimeInterval(gracePeriod) else {
                    stderr("pod \"\(p.uuid)\" not removed: still within grace period (\(GoDurationFormat.string(gracePeriod)))")
                    continue
                }
            }
            due.append(p)
        }
        guard !due.isEmpty else { return }
        let output = NSLock()
        let serialized: (@escaping (String) -> Void) -> (String) -> Void = { write in
            { line in output.lock(); write(line); output.unlock() }
        }
        let out = serialized(stdout), err = serialized(stderr)
        let queue = SweepQueue(due) { delete($0, stdout: out, stderr: err) }
        DispatchQueue.concurrentPerform(iterations: min(Self.sweepWorkers, due.count)) { _ in queue.drain() }
    }

    /// Pods deleted at once by `sweep`.
    static let sweepWorkers = 4

    private func delete(_ p: Pod, stdout: @escaping (String) -> Void, stderr: @escaping (String) -> Void) {
        // rkt blocks here (rkt-architecture.md §11 item 6): a pod another gc is deleting
        // is waited for, and then found gone.
        do {
            try p.lockExclusive()
        } catch {
            return
        }
        guard access(p.path, F_OK) == 0 else { return }
        stdout("Garbage collecting pod \"\(p.uuid)\"")
        _ = PodDeleter(pod: p, debug: debug, localConfigDir: localConfigDir, stderr: stderr).delete()
    }

    private func renameTolerant(_ p: Pod, _ body: (Pod) throws -> Void) {
        do {
            try body(p)
        } catch {
            // Another gc or rm moved it first: that is a lost race, not an error.
            if access(p.path, F_OK) != 0 { return }
            stderr(render("rename error", error))
        }
    }

    private func report(_ uuid: String, _ error: any Error) {
        stderr(render("cannot open pod \(uuid)", error))
    }

    func render(_ message: String, _ error: any Error) -> String {
        let e = (error as? RktError) ?? RktError(String(describing: error))
        return "\(message): \(debug ? e.debugChain : e.description)"
    }
}

/// Go's `time.Duration.String()` for the grace-period message (`30m0s`, `0s`, `1h0m0s`).
public enum GoDurationFormat {
    public static func string(_ seconds: Double) -> String {
        if seconds == 0 { return "0s" }
        var out = seconds < 0 ? "-" : ""
        var s = abs(seconds)
        if s < 1 {
            let ms = s * 1000
            return out + (ms == ms.rounded() ? "\(Int(ms))ms" : "\(ms)ms")
        }
        let h = Int(s / 3600)
        s -= Double(h * 3600)
        let m = Int(s / 60)
        s -= Double(m * 60)
        let secs = s == s.rounded() ? "\(Int(s))" : String(format: "%g", s)
        if h > 0 { out += "\(h)h\(m)m" } else if m > 0 { out += "\(m)m" }
        return out + "\(secs)s"
    }
}

/// The pods of one sweep, handed out to the sweep's threads one at a time.
private final class SweepQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let pods: [Pod]
    private let work: (Pod) -> Void

    init(_ pods: [Pod], work: @escaping (Pod) -> Void) {
        self.pods = pods
        self.work = work
    }

    func drain() {
        while let p = take() { work(p) }
    }

    private func take() -> Pod? {
        lock.lock()
        defer { lock.unlock() }
        guard next < pods.count else { return nil }
        next += 1
        return pods[next - 1]
    }
}
