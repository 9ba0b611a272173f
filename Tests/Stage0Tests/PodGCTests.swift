import Foundation
import Glibc
import RktCommon
import Testing
@testable import Stage0
@testable import Stage0Core

/// A gc whose clock and output are under the test's control.
struct GCRun {
    var gc: PodGarbageCollector
    let out = Captured()
    let err = Captured()

    final class Captured: @unchecked Sendable {
        var lines: [String] = []
    }

    init(dataDir: String, now: Date = Date()) {
        gc = PodGarbageCollector(dataDir: dataDir)
        gc.now = { now }
        let out = self.out, err = self.err
        gc.stdout = { out.lines.append($0) }
        gc.stderr = { err.lines.append($0) }
    }
}

@Suite("Pod garbage collection")
struct PodGCTests {
    let exitedUUID = "aaaaaaaa-0000-4000-8000-000000000001"
    let preparedUUID = "bbbbbbbb-0000-4000-8000-000000000002"
    let abortedUUID = "cccccccc-0000-4000-8000-000000000003"
    let runningUUID = "dddddddd-0000-4000-8000-000000000004"

    /// One exited, one prepared, one aborted-prepare and one running pod.
    func populate(_ d: PodTestDataDir) throws -> ChildLockHolder {
        try d.makePod(exitedUUID, in: .run)
        try d.makePod(preparedUUID, in: .prepared)
        try d.makePod(abortedUUID, in: .prepare)
        let running = try d.makePod(runningUUID, in: .run)
        // Status files written by the stage1 must go with the pod.
        try FileManager.default.createDirectory(
            atPath: "\(d.path)/pods/run/\(exitedUUID)/stage1/rootfs/rkt/status", withIntermediateDirectories: true)
        return try ChildLockHolder(directory: running)
    }

    @Test("mark-only moves exited and aborted pods and deletes nothing")
    func markOnly() throws {
        let d = try PodTestDataDir()
        let holder = try populate(d)
        var r = GCRun(dataDir: d.path)
        r.gc.markOnly = true
        r.gc.gracePeriod = 0
        r.gc.expirePrepared = 0
        r.gc.run()
        #expect(d.entries(.exitedGarbage) == [exitedUUID])
        #expect(d.entries(.garbage) == [abortedUUID])
        #expect(d.entries(.prepared) == [preparedUUID])
        #expect(d.entries(.run) == [runningUUID])
        #expect(r.err.lines.contains("moving pod \"\(exitedUUID)\" to garbage"))
        #expect(r.err.lines.contains("moving failed prepare \"\(abortedUUID)\" to garbage"))
        #expect(r.out.lines.isEmpty)
        holder.release()
    }

    @Test("a full gc with zero grace deletes everything but the running pod")
    func fullSweep() throws {
        let d = try PodTestDataDir()
        let holder = try populate(d)
        var r = GCRun(dataDir: d.path)
        r.gc.gracePeriod = 0
        r.gc.expirePrepared = 0
        // Directory ctimes have a granularity; look from a little in the future.
        r.gc.now = { Date().addingTimeInterval(1) }
        r.gc.run()
        #expect(d.entries(.exitedGarbage).isEmpty)
        #expect(d.entries(.garbage).isEmpty)
        #expect(d.entries(.prepared).isEmpty)
        #expect(d.entries(.prepare).isEmpty)
        #expect(d.entries(.run) == [runningUUID])
        #expect(Set(r.out.lines) == Set([exitedUUID, preparedUUID, abortedUUID].map { "Garbage collecting pod \"\($0)\"" }))
        holder.release()
    }

    @Test("exited pods stay within the grace period and go after it")
    func gracePeriod() throws {
        let d = try PodTestDataDir()
        try d.makePod(exitedUUID, in: .run)
        let r = GCRun(dataDir: d.path)
        r.gc.run()
        #expect(d.entries(.exitedGarbage) == [exitedUUID])
        #expect(r.err.lines.contains("pod \"\(exitedUUID)\" not removed: still within grace period (30m0s)"))

        var later = GCRun(dataDir: d.path, now: Date().addingTimeInterval(31 * 60))
        later.gc.gracePeriod = 30 * 60
        later.gc.run()
        #expect(d.entries(.exitedGarbage).isEmpty)
        #expect(later.out.lines == ["Garbage collecting pod \"\(exitedUUID)\""])
    }

    @Test("prepared pods expire only after --expire-prepared")
    func expiry() throws {
        let d = try PodTestDataDir()
        try d.makePod(preparedUUID, in: .prepared)
        GCRun(dataDir: d.path, now: Date().addingTimeInterval(23 * 3600)).gc.run()
        #expect(d.entries(.prepared) == [preparedUUID])
        let r = GCRun(dataDir: d.path, now: Date().addingTimeInterval(25 * 3600))
        r.gc.run()
        #expect(d.entries(.prepared).isEmpty)
        #expect(d.entries(.garbage).isEmpty)
        #expect(r.err.lines.contains("moving expired prepared pod \"\(preparedUUID)\" to garbage"))
    }

    @Test("a garbage pod being deleted by someone else is waited for, not deleted twice")
    func lockedGarbage() throws {
        let d = try PodTestDataDir()
        let p = try d.makePod(abortedUUID, in: .garbage)
        let holder = try ChildLockHolder(directory: p)
        // Release the other "gc" shortly after, having removed the pod itself.
        let t = Thread {
            usleep(300_000)
            try? FileManager.default.removeItem(atPath: p)
            holder.release()
        }
        t.start()
        let r = GCRun(dataDir: d.path)
        r.gc.run()
        #expect(r.out.lines.isEmpty)
        #expect(d.entries(.garbage).isEmpty)
    }

    @Test("rm refuses running pods and removes exited and prepared ones")
    func remove() throws {
        let d = try PodTestDataDir()
        let holder = try populate(d)
        var lines: [String] = []
        var rm = PodRemover(dataDir: d.path)
        rm.stderr = { lines.append($0) }
        #expect(!rm.remove(try Pod.load(dataDir: d.path, uuidPrefix: runningUUID)))
        #expect(lines.last == "pod \"\(runningUUID)\" is currently running")
        #expect(rm.remove(try Pod.load(dataDir: d.path, uuidPrefix: exitedUUID)))
        #expect(rm.remove(try Pod.load(dataDir: d.path, uuidPrefix: preparedUUID)))
        #expect(d.entries(.run) == [runningUUID])
        #expect(d.entries(.prepared).isEmpty)
        #expect(d.entries(.exitedGarbage).isEmpty)
        #expect(d.entries(.garbage).isEmpty)
        holder.release()
    }

    @Test("Go duration strings for the grace-period message")
    func durations() {
        #expect(GoDurationFormat.string(0) == "0s")
        #expect(GoDurationFormat.string(1800) == "30m0s")
        #expect(GoDurationFormat.string(86400) == "24h0m0s")
        #expect(GoDurationFormat.string(90) == "1m30s")
    }
}
