import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Many rkt processes on one data directory at once: the pod state machine (directories plus
/// flocks) must keep every pod intact while list and gc race with it (rkt-architecture.md §2.4).
@Suite("Concurrency")
struct ConcurrencyTests {
    /// This process's mount table lines that are under `root` (what a test may have leaked).
    static func mounts(under root: String) -> Set<String> {
        Set(mountsUnder(root))
    }

    @Test("20 fly pods run in parallel with list and gc in a loop, and a final gc leaves nothing")
    func parallelPodsWithListAndGC() throws {
        let env = try RktTestEnv()
        env.stage1 = .fly
        defer { env.cleanup() }
        let before = Self.mounts(under: env.root)
        // Fetch once so the 20 runs race on pods, not on the first store import.
        let acis = try (0..<5).map { code in
            try TestImages.inspect {
                $0.name = "example.com/concurrency-\(code)"
                $0.setExec("/inspect --sleep=1 --exit-code=\(code)")
            }
        }
        for a in acis { #expect(env.rkt(["fetch", a]).exit == 0) }

        let stop = ConcurrencyBox()
        let listFailures = ConcurrencyBox()
        let gcFailures = ConcurrencyBox()
        let lister = Thread {
            while !stop.isSet {
                let r = env.rkt(["list", "--no-legend"], timeout: 60)
                if r.exit != 0 { listFailures.add("\(r)") }
            }
        }
        let collector = Thread {
            while !stop.isSet {
                let r = env.rkt(["gc", "--grace-period=0"], timeout: 60)
                if r.exit != 0 { gcFailures.add("\(r)") }
            }
        }
        lister.start()
        collector.start()

        let pods = try (0..<20).map { i in (i % 5, try env.spawn(["run", env.stage1Flag, acis[i % 5]])) }
        for (code, p) in pods {
            let r = p.wait(timeout: 180)
            #expect(!r.timedOut)
            #expect(r.exit == Int32(code), "pod expected to exit \(code): \(r)")
        }
        stop.set()
        while !lister.isFinished || !collector.isFinished {
            usleep(50_000)
        }
        #expect(listFailures.items.isEmpty, "\(listFailures.items)")
        #expect(gcFailures.items.isEmpty, "\(gcFailures.items)")

        let final = env.rkt(["gc", "--grace-period=0", "--expire-prepared=0"])
        #expect(final.exit == 0, "\(final)")
        for s in ["embryo", "prepare", "prepared", "run", "exited-garbage", "garbage"] {
            let left = (try? FileManager.default.contentsOfDirectory(atPath: "\(env.dataDir)/pods/\(s)")) ?? []
            #expect(left.isEmpty, "pods left in \(s): \(left)")
        }
        #expect(Self.mounts(under: env.root) == before)
    }

    @Test("a prepare killed with SIGKILL leaves an aborted pod that the next gc removes")
    func killedPrepare() throws {
        let env = try RktTestEnv()
        env.stage1 = .fly
        defer { env.cleanup() }
        let before = Self.mounts(under: env.root)
        let aci = try TestImages.inspect { $0.name = "example.com/killed-prepare" }
        let prepareDir = "\(env.dataDir)/pods/prepare"
        let p = try env.spawn(["prepare", env.stage1Flag, aci])
        // Kill it as soon as the pod directory exists, i.e. in the middle of preparing.
        var seen = false
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && p.isRunning {
            if let e = try? FileManager.default.contentsOfDirectory(atPath: prepareDir), !e.isEmpty {
                seen = true
                break
            }
            usleep(1_000)
        }
        p.kill(SIGKILL)
        p.wait(timeout: 10)
        #expect(seen, "prepare finished before it could be killed: \(p.output)")
        guard seen else { return }
        let uuid = try #require(try FileManager.default.contentsOfDirectory(atPath: prepareDir).first)
        #expect(parseKeyValues(env.rkt(["status", uuid]).stdout)["state"] == "aborted prepare")
        let gc = env.rkt(["gc", "--grace-period=0"])
        #expect(gc.exit == 0, "\(gc)")
        #expect(gc.stderr.contains("moving failed prepare \"\(uuid)\" to garbage"))
        for s in ["prepare", "garbage"] {
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: "\(env.dataDir)/pods/\(s)")) ?? []).isEmpty)
        }
        #expect(Self.mounts(under: env.root) == before)
    }
}

/// A flag and a list shared between test threads.
final class ConcurrencyBox: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    private var list: [String] = []
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return flag }
    func set() { lock.lock(); flag = true; lock.unlock() }
    func add(_ s: String) { lock.lock(); list.append(s); lock.unlock() }
    var items: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
