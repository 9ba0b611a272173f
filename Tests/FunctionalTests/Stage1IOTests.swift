import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The full stage1's app I/O (issue #4 "Input and output"; rkt-architecture.md §9): the
/// `--stdin/--stdout/--stderr` modes, `rkt attach` to stream and tty apps, `--interactive` on the
/// caller's terminal, and `rkt logs [--app] [--follow]`.
@Suite("full stage1 I/O")
struct Stage1IOTests {
    /// Polls until `path` exists (a pod's attach socket, a uuid file).
    static func waitFor(_ path: String, timeout: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path) { return true }
            usleep(50_000)
        }
        return false
    }

    /// Starts `rkt run` in the background and returns it with the pod's uuid once `socket` of
    /// `app` exists (pod-init creates the attach sockets before starting the app).
    static func startAttachable(_ env: RktTestEnv, app: String, socket: String, _ args: [String]) throws -> (SpawnedProcess, String) {
        let uuidFile = env.tmpDir + "/uuid-\(app)"
        let p = try env.spawn(["run", env.stage1Flag, "--net=host", "--uuid-file-save=" + uuidFile] + args)
        #expect(waitFor(uuidFile), "no uuid file: \(p.output)")
        let uuid = ((try? String(contentsOfFile: uuidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let sock = "\(env.dataDir)/pods/run/\(uuid)/stage1/rootfs/rkt/iottymux/\(app)/sock-\(socket)"
        #expect(waitFor(sock), "no attach socket \(sock): \(p.output)")
        return (p, uuid)
    }

    @Test("--stdout=null discards the app's output, --stderr=log shows it, and stdin is /dev/null by default")
    func nullModes() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let r = env.run(["--net=host", img, "--stdout=null", "--stderr=log", "--exec=/bin/sh", "--",
                         "-c", "cat; echo to-out; echo to-err >&2"], stdin: "typed-by-caller\n")
        #expect(r.exit == 0, "\(r)")
        #expect(!r.output.contains("to-out") && !r.output.contains("typed-by-caller"), "\(r)")
        #expect(r.stdout.contains("to-err"), "\(r)")
    }

    @Test("stream apps are reachable with rkt attach: list, auto and a custom stream set")
    func streamAttach() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let (run, uuid) = try Self.startAttachable(env, app: "echo", socket: "stdin", [
            img, "--name=echo", "--stdin=stream", "--stdout=stream", "--stderr=stream", "--exec=/bin/sh", "--",
            "-c", "read a; read b; echo got:$a/$b; echo err:$b >&2",
        ])
        let list = env.rkt(["attach", "--mode=list", uuid])
        #expect(list.exit == 0 && list.stdout == "stdin\nstdout\nstderr\n", "\(list)")
        let tty = env.rkt(["attach", "--mode=tty", uuid])
        #expect(tty.exit == 254 && tty.stderr.contains("tty-in"), "\(tty)")
        let mixed = env.rkt(["attach", "--mode=tty,stdout", uuid])
        #expect(mixed.exit == 254, "\(mixed)")

        // stdin only: the line reaches the app, and attach ends with its input.
        let first = env.rkt(["attach", "--mode=stdin", uuid], stdin: "one\n", timeout: 30)
        #expect(first.exit == 0, "\(first)")
        // auto: all three streams; ends when the app exits and pod-init closes them.
        let second = env.rkt(["attach", uuid], stdin: "two\n", timeout: 30)
        #expect(second.exit == 0, "\(second)")
        #expect(second.stdout == "got:one/two\n" && second.stderr.contains("err:two"), "\(second)")
        let done = run.wait(timeout: 30)
        #expect(done.exit == 0, "\(done)")
        // Streamed output goes to attached clients, not to rkt's own terminal.
        #expect(!done.output.contains("got:"), "\(done)")
    }

    @Test("stdout and stderr streams reach an attached client separately")
    func streamOutputs() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let (run, uuid) = try Self.startAttachable(env, app: "talk", socket: "stdin", [
            img, "--name=talk", "--stdin=stream", "--stdout=stream", "--stderr=stream", "--exec=/bin/sh", "--",
            "-c", "read a; echo out:$a; echo err:$a >&2",
        ])
        let r = env.rkt(["attach", "--mode=stdin,stdout,stderr", uuid], stdin: "x\n", timeout: 30)
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout == "out:x\n" && r.stderr.contains("err:x"), "\(r)")
        #expect(run.wait(timeout: 30).exit == 0)
    }

    @Test("in a multi-app pod attach needs --app, and an app without endpoints is refused")
    func attachPicksApp() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let (run, uuid) = try Self.startAttachable(env, app: "talk", socket: "stdout", [
            img, "--name=talk", "--stdout=stream", "--exec=/bin/sleep", "--", "60", "---",
            img, "--name=quiet", "--exec=/bin/sleep", "--", "60",
        ])
        let ambiguous = env.rkt(["attach", "--mode=list", uuid])
        #expect(ambiguous.exit == 254 && ambiguous.stderr.contains("talk") && ambiguous.stderr.contains("quiet"), "\(ambiguous)")
        let talk = env.rkt(["attach", "--app=talk", "--mode=list", uuid])
        #expect(talk.exit == 0 && talk.stdout == "stdout\n", "\(talk)")
        let quiet = env.rkt(["attach", "--app=quiet", uuid])
        #expect(quiet.exit == 254 && quiet.stderr.contains("no attachable endpoints"), "\(quiet)")
        #expect(env.rkt(["stop", uuid]).exit == 0)
        #expect(run.wait(timeout: 30).exit == 0)
    }

    @Test("a client that goes away mid-stream costs nothing: the pod keeps running and a new attach gets output")
    func clientHangsUp() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let (run, uuid) = try Self.startAttachable(env, app: "ticker", socket: "stdout", [
            img, "--name=ticker", "--stdout=stream", "--exec=/bin/sh", "--", "-c", "while true; do echo tick; sleep 0.05; done",
        ])
        let first = try env.spawn(["attach", "--mode=stdout", uuid])
        #expect(first.waitForOutput("tick", timeout: 30), "\(first.output)")
        first.kill(SIGKILL)
        first.wait(timeout: 10)
        usleep(300_000)
        let second = try env.spawn(["attach", "--mode=stdout", uuid])
        #expect(second.waitForOutput("tick", timeout: 30), "\(second.output)")
        #expect(run.isRunning, "\(run.output)")
        #expect(env.rkt(["stop", uuid]).exit == 0)
        #expect(run.wait(timeout: 30).exit == 0)
        // The app's end closes the stream, which ends the attach.
        #expect(second.wait(timeout: 30).exit == 0)
    }

    @Test("a tty app gets its own terminal, and rkt attach --mode=tty drives it until it exits")
    func ttyAttach() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let (run, uuid) = try Self.startAttachable(env, app: "shell", socket: "tty", [
            img, "--name=shell", "--stdin=tty", "--stdout=tty", "--stderr=tty", "--exec=/bin/sh",
        ])
        let list = env.rkt(["attach", "--mode=list", uuid])
        #expect(list.stdout == "tty-in\ntty-out\n", "\(list)")
        let streams = env.rkt(["attach", "--mode=stdin", uuid])
        #expect(streams.exit == 254, "\(streams)")
        let term = try env.spawnPty(["attach", "--app=shell", "--mode=tty", uuid])
        term.sendLine("echo hi-$((40+2)); tty; [ -t 1 ] && echo out-is-$((0+1))-tty")
        #expect(term.expect("hi-42"), "\(term.output)")
        #expect(term.expect("/dev/pts/0"), "\(term.output)")
        #expect(term.expect("out-is-1-tty"), "\(term.output)")
        term.sendLine("exit 3")
        let attached = term.wait(timeout: 30)
        #expect(attached.exit == 0, "\(attached)")
        let done = run.wait(timeout: 30)
        #expect(done.exit == 3, "\(done)")
    }

    @Test("--interactive gives the app the caller's terminal and passes its exit status through")
    func interactive() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let term = try env.spawnPty(["run", env.stage1Flag, "--net=host", "--interactive", img, "--exec=/bin/sh"])
        term.sendLine("read x; echo got-$x-$((1+1)); [ -t 0 ] && echo stdin-tty-$((2+2)); exit 7")
        term.sendLine("Saluton")
        #expect(term.expect("got-Saluton-2"), "\(term.output)")
        #expect(term.expect("stdin-tty-4"), "\(term.output)")
        let r = term.wait(timeout: 60)
        #expect(r.exit == 7, "\(r) \(term.output)")
        let plain = env.run(["--net=host", img, "--exec=/bin/sh", "--", "-c", "[ -t 0 ] || echo stdin-not-tty"])
        #expect(plain.stdout.contains("stdin-not-tty"), "\(plain)")
    }

    @Test("rkt logs --follow prints log output as the app writes it and ends with the pod")
    func logsFollow() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let uuidFile = env.tmpDir + "/uuid"
        let run = try env.spawn(["run", env.stage1Flag, "--net=host", "--uuid-file-save=" + uuidFile,
                                 img, "--name=writer", "--stdout=log", "--exec=/bin/sh", "--", "-c", "echo first; sleep 2; echo second",
                                 "---", img, "--name=other", "--stdout=log", "--exec=/bin/sh", "--", "-c", "echo other-line"])
        #expect(run.waitForOutput("first"), "\(run.output)")
        let uuid = ((try? String(contentsOfFile: uuidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let follow = env.rkt(["logs", "--follow", "--app=writer", uuid], timeout: 60)
        #expect(follow.exit == 0, "\(follow)")
        #expect(follow.stdout == "first\nsecond\n", "\(follow)")
        #expect(run.wait(timeout: 30).exit == 0)
        let all = env.rkt(["logs", uuid])
        #expect(all.stdout.contains("writer: first\n") && all.stdout.contains("other: other-line\n"), "\(all)")
    }
}
