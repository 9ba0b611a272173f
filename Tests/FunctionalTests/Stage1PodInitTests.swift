import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The full stage1's pod init seen through rkt (issue #4 "Pod init"): event handlers, reaping,
/// signal forwarding, per-app exit statuses in `rkt status`, `rkt enter` and `rkt stop`.
@Suite("full stage1 pod init")
struct Stage1PodInitTests {
    /// Starts `rkt run --net=host args` in the background; returns it and the pod uuid once the
    /// pod runs and printed `ready`.
    static func start(_ env: RktTestEnv, _ args: [String], ready: String = "ready") throws -> (SpawnedProcess, String) {
        let uuidFile = env.tmpDir + "/uuid-\(UUID().uuidString.prefix(6))"
        let p = try env.spawn(["run", env.stage1Flag, "--net=host", "--uuid-file-save=" + uuidFile] + args)
        guard p.waitForOutput(ready) else { throw HarnessError("pod never got ready: \(p.output)") }
        let uuid = ((try? String(contentsOfFile: uuidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        return (p, uuid)
    }

    @Test("pre-start runs before the app and post-stop after it, in the app's rootfs")
    func eventHandlers() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox {
            $0.addEventHandler("pre-start", exec: ["/bin/sh", "-c", "echo pre-start-ran; echo from-pre > /tmp/pre"])
            $0.addEventHandler("post-stop", exec: ["/bin/sh", "-c", "echo post-stop-saw-$(cat /tmp/app)"])
        }
        let r = env.run(["--net=host", img, "--exec=/bin/sh", "--", "-c", "echo app-read-$(cat /tmp/pre); echo app-wrote > /tmp/app; exit 4"])
        #expect(r.exit == 4, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("image:") }
        #expect(lines == ["pre-start-ran", "app-read-from-pre", "post-stop-saw-app-wrote"], "\(r)")
    }

    @Test("a failing pre-start handler fails the pod without starting the app")
    func failingPreStart() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox {
            $0.addEventHandler("pre-start", exec: ["/bin/sh", "-c", "exit 6"])
        }
        let r = env.run(["--net=host", img, "--exec=/bin/sh", "--", "-c", "echo app-started"])
        #expect(r.exit == 6, "\(r)")
        #expect(!r.stdout.contains("app-started"), "\(r)")
    }

    @Test("orphans re-parented to pod init are reaped (no zombies in the pod)")
    func reapsZombies() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        // Each inner shell exits at once, leaving its sleep to pod-init (pid 1).
        let r = env.run(["--net=host", img, "--exec=/bin/sh", "--", "-c",
                         "for i in 1 2 3 4 5; do sh -c 'sleep 0.2 &'; done; sleep 1; echo zombies=$(grep -l '^State:.*Z' /proc/[0-9]*/status | wc -l); echo ppid-of-orphans-ok"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("zombies=0"), "\(r)")
    }

    @Test("SIGTERM to rkt run reaches the apps, which exit cleanly, and rkt exits 0")
    func forwardsSignals() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let (p, _) = try Self.start(env, [img, "--exec=/bin/sh", "--", "-c",
                                          "trap 'echo got-term; exit 0' TERM; echo ready; while true; do sleep 0.1; done"])
        p.kill(SIGTERM)
        let r = p.wait(timeout: 30)
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("got-term"), "\(r)")
    }

    /// Resident KiB of a process's executable file mappings (its binary, libc, and in debug
    /// builds the Swift runtime libraries), from smaps.
    static func codeResidentKiB(_ pid: pid_t) -> Int? {
        guard let smaps = readProcFile("/proc/\(pid)/smaps") else { return nil }
        var total = 0
        var inCode = false
        for line in smaps.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = f.first else { continue }
            if !first.hasSuffix(":") {
                inCode = f.count >= 6 && f[1] == "r-xp" && f[5].hasPrefix("/")
            } else if inCode, first == "Rss:", f.count >= 2, let kb = Int(f[1]) {
                total += kb
            }
        }
        return total
    }

    @Test("an idle pod's init and pod-init hand their code pages back, and after a quiet spell again; the pod still runs to its status")
    func idleMemory() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        // Output ("ready") is activity for pod-init; 5 s later it hands its memory back again.
        let (p, _) = try Self.start(env, [img, "--exec=/bin/sh", "--", "-c", "echo ready; sleep 9; echo second; exit 3"])
        Thread.sleep(forTimeInterval: 7)
        let children = readProcFile("/proc/\(p.pid)/task/\(p.pid)/children") ?? ""
        let podInit = children.split(separator: " ").compactMap { pid_t($0) }.first
        let initCode = Self.codeResidentKiB(p.pid)
        let podInitCode = podInit.flatMap(Self.codeResidentKiB)
        // Without the release both hold about 10 MiB of code here (debug build: rkt-stage1 and the
        // Swift runtime's shared libraries, measured over the whole of smaps); after it, the few
        // folios their wait loops return through: 0.7–1.4 MiB, whole 64 KiB folios, so the figure
        // moves with what else ran. 3 MiB keeps clear of both.
        #expect(initCode != nil && initCode! < 3000, "init code RSS \(String(describing: initCode)) KiB")
        #expect(podInitCode != nil && podInitCode! < 3000, "pod-init code RSS \(String(describing: podInitCode)) KiB")
        let r = p.wait(timeout: 60)
        #expect(r.exit == 3, "\(r)")
        #expect(r.stdout.contains("ready") && r.stdout.contains("second"), "\(r)")
    }

    @Test("each app's exit status is written by pod init and shown by rkt status")
    func appStatuses() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let uuidFile = env.tmpDir + "/uuid"
        let r = env.run(["--net=host", "--uuid-file-save=" + uuidFile,
                         img, "--name=ok", "--exec=/bin/true",
                         img, "--name=bad", "--exec=/bin/sh", "--", "-c", "sleep 0.5; exit 3", "---",
                         img, "--name=slow", "--exec=/bin/sleep", "--", "30"])
        #expect(r.exit == 3, "\(r)")
        let uuid = ((try? String(contentsOfFile: uuidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let s = parseKeyValues(env.rkt(["status", uuid]).stdout)
        #expect(s["state"] == "exited", "\(s)")
        #expect(s["app-ok"] == "0" && s["app-bad"] == "3" && s["app-slow"] == "143", "\(s)")
    }

    @Test("enter joins an app with its environment, /bin/sh by default, --app picks the app")
    func enter() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let (p, uuid) = try Self.start(env, [
            img, "--name=one", "--environment=GREETING=hello-one", "--exec=/bin/sh", "--", "-c", "echo one > /tmp/who; echo ready; sleep 60", "---",
            img, "--name=two", "--environment=GREETING=hello-two", "--exec=/bin/sh", "--", "-c", "echo two > /tmp/who; sleep 60",
        ])
        let ambiguous = env.rkt(["enter", uuid, "/bin/true"])
        #expect(ambiguous.exit == 254 && ambiguous.stderr.contains("one") && ambiguous.stderr.contains("two"), "\(ambiguous)")
        let one = env.rkt(["enter", "--app=one", uuid, "/bin/sh", "-c", "echo $GREETING $AC_APP_NAME $(cat /tmp/who) pid1=$(cat /proc/1/comm)"])
        #expect(one.exit == 0, "\(one)")
        #expect(one.stdout.contains("hello-one one one pid1="), "\(one)")
        // No command: /bin/sh, here reading its commands from stdin.
        let two = env.rkt(["enter", "--app=two", uuid], stdin: "echo $GREETING-$(cat /tmp/who); exit 5\n")
        #expect(two.exit == 5, "\(two)")
        #expect(two.stdout.contains("hello-two-two"), "\(two)")
        p.kill(SIGTERM)
        p.wait(timeout: 30)
    }

    @Test("stop sends SIGTERM and kills apps that ignore it after the timeout; --force kills at once")
    func stop() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        // The app ignores SIGTERM (an ignored signal stays ignored across exec, so sleep does too).
        let (p, uuid) = try Self.start(env, [img, "--name=stubborn", "--exec=/bin/sh", "--", "-c", "trap '' TERM; echo ready; sleep 300"])
        let begin = Date()
        let r = env.rkt(["stop", uuid], timeout: 60)
        #expect(r.exit == 0 && r.stdout == "\"\(uuid)\"\n", "\(r)")
        let done = p.wait(timeout: 60)
        let took = Date().timeIntervalSince(begin)
        #expect(!done.timedOut && took >= 5, "stopped after \(took)s: \(done)")
        let s = parseKeyValues(env.rkt(["status", uuid]).stdout)
        #expect(s["state"] == "exited" && s["app-stubborn"] == "137", "\(s)")

        let (forced, uuid2) = try Self.start(env, [img, "--exec=/bin/sh", "--", "-c", "trap '' TERM; echo ready; sleep 300"])
        let fbegin = Date()
        let f = env.rkt(["stop", "--force", uuid2])
        #expect(f.exit == 0, "\(f)")
        let fdone = forced.wait(timeout: 30)
        #expect(!fdone.timedOut && Date().timeIntervalSince(fbegin) < 5, "\(fdone)")
    }
}
