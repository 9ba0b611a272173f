import Foundation
import Glibc
import RktCommon
import RktOS
import Testing
@testable import Stage0
@testable import Stage0Core

/// A throwaway data directory, removed at deinit.
final class PodTestDataDir {
    let path: String

    init() throws {
        var template = Array("/tmp/rkt-pod-test-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw RktError.errno("mkdtemp") }
        path = String(cString: p)
        try Pod.ensureStateDirs(dataDir: path)
    }

    deinit { try? FileSystem.removeTree(path) }

    /// A pod directory made by hand in `dir`, as another rkt process would leave it.
    @discardableResult
    func makePod(_ uuid: String, in dir: PodState) throws -> String {
        let p = Pod.path(dataDir: path, dir: dir, uuid: uuid)
        guard mkdir(p, 0o750) == 0 else { throw RktError.errno("mkdir", p) }
        return p
    }

    func entries(_ dir: PodState) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(path)/pods/\(dir.rawValue)")) ?? []).sorted()
    }
}

/// Holds an exclusive flock on a directory from a child process (as stage1 holds the pod lock).
final class ChildLockHolder: @unchecked Sendable {
    let pid: pid_t
    let directory: String

    init(directory: String) throws {
        self.directory = directory
        var sp = Subprocess(path: "/usr/bin/flock", argv: ["flock", "-x", directory, "sleep", "60"])
        sp.newProcessGroup = true
        pid = try sp.spawn()
        // Wait until the child really holds the lock.
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(fd) }
        for _ in 0..<200 {
            if flock(fd, LOCK_SH | LOCK_NB) != 0 { return }
            flock(fd, LOCK_UN)
            usleep(10_000)
        }
        throw RktError("child never took the lock on \(directory)")
    }

    /// Kills flock and its sleep, and waits until the kernel has dropped the lock (the sleep
    /// holding the inherited fd may exit a moment after flock itself).
    func release() {
        guard kill(-pid, SIGKILL) == 0 else { return }
        _ = try? Subprocess.wait(pid)
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        for _ in 0..<500 {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { flock(fd, LOCK_UN); return }
            usleep(10_000)
        }
    }

    deinit { release() }
}

@Suite("Pod lifecycle")
struct PodLifecycleTests {
    @Test("create makes a locked preparing pod in prepare/")
    func createIsPreparing() throws {
        let d = try PodTestDataDir()
        let pod = try Pod.create(dataDir: d.path)
        #expect(pod.state == .preparing)
        #expect(pod.dir == .prepare)
        #expect(d.entries(.prepare) == [pod.uuid])
        #expect(d.entries(.embryo).isEmpty)
        #expect(pod.uuid.count == 36 && pod.uuid == pod.uuid.lowercased())
        // Another reader sees it as preparing because the creator holds the lock.
        let seen = try #require(try Pod.open(dataDir: d.path, uuid: pod.uuid))
        #expect(seen.state == .preparing)
        var st = stat()
        #expect(stat(pod.path, &st) == 0 && st.st_mode & 0o777 == 0o750)
    }

    @Test("a pod moves prepare → prepared → run and is exited once the lock holder dies")
    func transitions() throws {
        let d = try PodTestDataDir()
        let pod = try Pod.create(dataDir: d.path)
        try pod.toPrepared()
        #expect(d.entries(.prepared) == [pod.uuid])
        #expect(try Pod.load(dataDir: d.path, uuidPrefix: pod.uuid).state == .prepared)

        let runner = try Pod.load(dataDir: d.path, uuidPrefix: pod.uuid)
        try runner.toRun()
        #expect(d.entries(.run) == [pod.uuid])
        #expect(try Pod.load(dataDir: d.path, uuidPrefix: pod.uuid).state == .running)
        runner.close()
        pod.close()
        #expect(try Pod.load(dataDir: d.path, uuidPrefix: pod.uuid).state == .exited)

        let exited = try Pod.load(dataDir: d.path, uuidPrefix: pod.uuid)
        try exited.toExitedGarbage()
        #expect(d.entries(.exitedGarbage) == [pod.uuid])
        #expect(try Pod.load(dataDir: d.path, uuidPrefix: pod.uuid).state == .exitedGarbage)
    }

    @Test("the creator may go straight from prepare to run")
    func creatorRunsFromPrepare() throws {
        let d = try PodTestDataDir()
        let pod = try Pod.create(dataDir: d.path)
        try pod.toRun()
        #expect(pod.state == .running)
        #expect(d.entries(.run) == [pod.uuid])
        #expect(d.entries(.prepare).isEmpty)
    }

    @Test("a prepared pod cannot go to exited-garbage, an exited one cannot go to garbage")
    func illegalTransitions() throws {
        let d = try PodTestDataDir()
        let pod = try Pod.create(dataDir: d.path)
        try pod.toPrepared()
        #expect(throws: RktError.self) { try pod.toExitedGarbage() }
        try pod.toGarbage()
        #expect(d.entries(.garbage) == [pod.uuid])
        #expect(throws: RktError.self) { try pod.toRun() }
    }


    @Test("embryo and prepared pods ignore the lock")
    func lockMeaningless() throws {
        let d = try PodTestDataDir()
        let a = "6f1c1a0e-2a4b-4c1d-9e2f-00000000000a"
        let b = "6f1c1a0e-2a4b-4c1d-9e2f-00000000000b"
        let holder = try ChildLockHolder(directory: try d.makePod(a, in: .embryo))
        let holder2 = try ChildLockHolder(directory: try d.makePod(b, in: .prepared))
        #expect(try Pod.open(dataDir: d.path, uuid: a)?.state == .embryo)
        #expect(try Pod.open(dataDir: d.path, uuid: b)?.state == .prepared)
        holder.release()
        holder2.release()
    }

    @Test("a uuid prefix resolves case-insensitively when it is unique")
    func prefixResolution() throws {
        let d = try PodTestDataDir()
        try d.makePod("abcdef01-0000-4000-8000-000000000001", in: .prepared)
        try d.makePod("abcdef02-0000-4000-8000-000000000002", in: .run)
        try d.makePod("abcdef03-0000-4000-8000-000000000003", in: .garbage)
        #expect(try Pod.load(dataDir: d.path, uuidPrefix: "ABCDEF01").uuid == "abcdef01-0000-4000-8000-000000000001")
        #expect(try Pod.load(dataDir: d.path, uuidPrefix: "abcdef02").state == .exited)
        // garbage/ is not searched.
        let e = #expect(throws: RktError.self) { try Pod.load(dataDir: d.path, uuidPrefix: "abcdef03") }
        #expect(e?.message == "no matches found for \"abcdef03\"")
        let amb = #expect(throws: RktError.self) { try Pod.load(dataDir: d.path, uuidPrefix: "abcdef") }
        #expect(amb?.message == "ambiguous uuid, 2 matches")
        let empty = #expect(throws: RktError.self) { try Pod.load(dataDir: d.path, uuidPrefix: "") }
        #expect(empty?.message == "UUID cannot be empty")
    }

    @Test("all() lists each pod once, sorted, skipping garbage by default")
    func listing() throws {
        let d = try PodTestDataDir()
        try d.makePod("22222222-0000-4000-8000-000000000000", in: .run)
        try d.makePod("11111111-0000-4000-8000-000000000000", in: .prepared)
        try d.makePod("33333333-0000-4000-8000-000000000000", in: .garbage)
        try d.makePod("44444444-0000-4000-8000-000000000000", in: .exitedGarbage)
        let uuids = Pod.all(dataDir: d.path).map(\.uuid)
        #expect(uuids == ["11111111-0000-4000-8000-000000000000", "22222222-0000-4000-8000-000000000000",
                          "44444444-0000-4000-8000-000000000000"])
        #expect(Pod.all(dataDir: d.path, dirs: [.garbage]).map(\.uuid) == ["33333333-0000-4000-8000-000000000000"])
    }

    @Test("pid comes from pid, or from the single child of ppid")
    func pidLookup() throws {
        let d = try PodTestDataDir()
        let uuid = "55555555-0000-4000-8000-000000000000"
        let p = try d.makePod(uuid, in: .run)
        let pod = try #require(try Pod.open(dataDir: d.path, uuid: uuid))
        #expect(try pod.pidOnce() == nil)
        // The test process's own child: a shell whose only child is a sleep.
        var sp = Subprocess(path: "/bin/sh", argv: ["sh", "-c", "sleep 30 & wait"])
        sp.newProcessGroup = true
        let sh = try sp.spawn()
        defer { kill(-sh, SIGKILL); _ = try? Subprocess.wait(sh) }
        try "\(sh)\n".write(toFile: "\(p)/ppid", atomically: true, encoding: .utf8)
        var child: Int32?
        for _ in 0..<100 where child == nil {
            child = try pod.pidOnce()
            if child == nil { usleep(20_000) }
        }
        let c = try #require(child)
        #expect(c != sh)
        #expect(pod.recordedPid() == sh)
        try "4242\n".write(toFile: "\(p)/pid", atomically: true, encoding: .utf8)
        #expect(try pod.pidOnce() == 4242)
    }

    @Test("pid() gives up once the pod is no longer running")
    func pidNotRunning() throws {
        let d = try PodTestDataDir()
        let uuid = "66666666-0000-4000-8000-000000000000"
        try d.makePod(uuid, in: .run)
        let pod = try #require(try Pod.open(dataDir: d.path, uuid: uuid))
        #expect(throws: RktError.self) { try pod.pid() }
    }
}
