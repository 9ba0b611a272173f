import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// list, status, rm, gc, stop, enter and cat-manifest against real pods (rkt-functional-tests.md
/// §2.7, P0-28…P0-33).
@Suite("Pod commands")
struct PodCommandsTests {
    /// Polls `body` every 100 ms until it returns true or `timeout` seconds pass.
    static func eventually(_ timeout: Double = 30, _ body: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if body() { return true }
            usleep(100_000)
        }
        return body()
    }

    static func podDirs(_ env: RktTestEnv, _ state: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: "\(env.dataDir)/pods/\(state)")) ?? []
    }

    /// Starts a pod that sleeps, and returns the rkt process and the pod UUID once it runs.
    static func startSleeper(_ env: RktTestEnv, seconds: Int = 60, name: String = "rkt-sleeper") throws -> (SpawnedProcess, String) {
        let aci = try TestImages.inspect {
            $0.name = "example.com/\(name)"
            $0.setExec("/inspect --silent-sigterm --sleep=\(seconds)")
        }
        let uuidFile = env.tmpDir + "/\(name).uuid"
        let p = try env.spawn(["run", env.stage1Flag, "--uuid-file-save=\(uuidFile)", aci])
        var uuid = ""
        let up = eventually {
            uuid = ((try? String(contentsOfFile: uuidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard uuid.count == 36 else { return false }
            return parseKeyValues(env.rkt(["status", uuid]).stdout)["state"] == "running"
        }
        guard up else { throw HarnessError("pod never ran: \(p.output)") }
        return (p, uuid)
    }

    @Test("status and list follow a pod while it runs and after it exits")
    func statusAndList() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let (p, uuid) = try Self.startSleeper(env, seconds: 3)
        let running = parseKeyValues(env.rkt(["status", uuid]).stdout)
        #expect(running["state"] == "running")
        #expect(running["exited"] == "false")
        #expect(running["created"]?.isEmpty == false)
        #expect(running["started"] != nil)
        let list = env.rkt(["list"])
        #expect(list.exit == 0)
        let row = list.stdout.split(separator: "\n").first { $0.hasPrefix(String(uuid.prefix(8))) }
        #expect(row?.contains("running") == true, "\(list)")
        #expect(row?.contains("example.com/rkt-sleeper") == true)

        let r = p.wait(timeout: 60)
        #expect(r.exit == 0, "\(r)")
        let exited = parseKeyValues(env.rkt(["status", uuid]).stdout)
        #expect(exited["state"] == "exited")
        #expect(exited["exited"] == "true")
        let full = env.rkt(["list", "--full", "--no-legend"])
        #expect(full.stdout.contains(uuid))
        #expect(!full.stdout.contains("UUID"))
        #expect(full.stdout.contains("sha512-"))
        let json = env.rkt(["list", "--format=json"])
        #expect(json.stdout.hasPrefix("[{"))
        #expect(json.stdout.contains("\"name\":\"\(uuid)\""))
        let sj = env.rkt(["status", "--format=json-pretty", uuid])
        #expect(sj.stdout.contains("\"state\": \"exited\""), "\(sj)")
    }

    @Test("status --wait returns once the pod has exited")
    func statusWait() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let (p, uuid) = try Self.startSleeper(env, seconds: 2)
        let r = env.rkt(["status", "--wait", uuid], timeout: 30)
        #expect(parseKeyValues(r.stdout)["state"] == "exited", "\(r)")
        p.wait(timeout: 30)
        let t = env.rkt(["status", "--wait=100ms", uuid])
        #expect(t.exit == 0)
    }

    @Test("prepared pods report state=prepared and cat-manifest shows the pod manifest")
    func preparedStatusAndManifest() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let aci = try TestImages.inspect { $0.name = "example.com/rkt-cat-manifest-test" }
        let uuid = try env.prepare([aci])
        let file = try env.writeFile("uuid", uuid)
        #expect(parseKeyValues(env.rkt(["status", "--uuid-file=\(file)"]).stdout)["state"] == "prepared")
        let m = env.rkt(["cat-manifest", "--pretty-print=false", uuid])
        #expect(m.exit == 0)
        #expect(m.stdout.contains("example.com/rkt-cat-manifest-test"))
        #expect(m.stdout.contains("sha512-"))
        #expect(env.rkt(["cat-manifest", "--uuid-file=\(file)"]).stdout.contains("\n\t"))
        let bad = env.rkt(["cat-manifest", "1234567890abcdef"])
        #expect(bad.exit == 254)
        #expect(bad.stderr.contains("no matches found for"))
    }


    @Test("gc marks first and deletes exited, prepared and aborted pods")
    func gc() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let aci = try TestImages.inspect()
        _ = try env.prepare([aci])
        #expect(env.run([aci]).exit == 0)
        #expect(env.rkt(["prepare", env.stage1Flag, aci, aci]).exit == 254)
        let mark = env.rkt(["gc", "--mark-only=true", "--expire-prepared=0", "--grace-period=0"])
        #expect(mark.exit == 0, "\(mark)")
        let remaining = ["exited-garbage", "prepared", "garbage", "run"].flatMap { Self.podDirs(env, $0) }
        #expect(remaining.count >= 2)
        let sweep = env.rkt(["gc", "--mark-only=false", "--expire-prepared=0", "--grace-period=0"])
        #expect(sweep.exit == 0, "\(sweep)")
        #expect(sweep.stdout.contains("Garbage collecting pod"))
        for s in ["run", "prepare", "prepared", "exited-garbage", "garbage"] {
            #expect(Self.podDirs(env, s).isEmpty, "\(s) not empty")
        }
        expectNoMountsUnder(env.dataDir)
    }

    @Test("stop ends a sleeping pod; stopping it again is not an error")
    func stop() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let (p, uuid) = try Self.startSleeper(env)
        let r = env.rkt(["stop", uuid])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout == "\"\(uuid)\"\n")
        let done = p.wait(timeout: 15)
        #expect(!done.timedOut)
        #expect(Self.eventually(15) { parseKeyValues(env.rkt(["status", uuid]).stdout)["state"] == "exited" })
        let again = env.rkt(["stop", uuid])
        #expect(again.exit == 0)
        #expect(again.stdout.contains("is already stopped"))
    }

    @Test("stop --force with --uuid-file kills a sleeping pod")
    func stopForce() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let (p, uuid) = try Self.startSleeper(env)
        let file = try env.writeFile("uuid", uuid)
        let r = env.rkt(["stop", "--force", "--uuid-file=\(file)"])
        #expect(r.exit == 0, "\(r)")
        #expect(!p.wait(timeout: 15).timedOut)
    }

    @Test("enter runs a command inside a running pod's app")
    func enter() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let (p, uuid) = try Self.startSleeper(env)
        let r = env.rkt(["enter", uuid, "/inspect", "--print-msg=RktEnterWorksFine"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("RktEnterWorksFine"))
        p.kill(SIGKILL)
        p.wait(timeout: 15)
        let after = env.rkt(["enter", uuid, "/inspect"])
        #expect(after.exit == 254)
    }
}
