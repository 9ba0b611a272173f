import Foundation
import Testing

/// stage0 is two executables (docs/hacking.md "Two stage0 binaries"): `rkt` runs, prepares and
/// runs prepared pods from images already in the store, without Foundation or the network stack;
/// everything else, and every run that must fetch, goes to `rkt-full` next to it by execv.
@Suite("rkt and rkt-full")
struct Stage0SplitTests {
    @Test("rkt alone runs and prepares pods from the store; what needs rkt-full fails cleanly without it")
    func alone() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let aci = try TestImages.busybox()
        let fetched = env.rkt(["fetch", aci])
        #expect(fetched.exit == 0, "\(fetched)")
        let hash = fetched.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        // A directory with `rkt` and the fly stage1 only: the stage1 next to it is trusted, so
        // `rkt` imports it itself (libarchive and SHA-512 without rkt-full).
        let lone = env.tmpDir + "/lone"
        try FileManager.default.createDirectory(atPath: lone, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: RktBuild.rkt, toPath: lone + "/rkt")
        try FileManager.default.copyItem(atPath: RktBuild.stage1FlyACI, toPath: lone + "/stage1-fly.aci")
        let stage1 = "--stage1-path=\(lone)/stage1-fly.aci"
        func lonely(_ args: [String]) throws -> CommandResult {
            try runCommand(lone + "/rkt", env.globalFlags + args, timeout: 120)
        }

        let r = try lonely(["run", stage1, hash, "--exec=/bin/echo", "--", "from the store"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("from the store"), "\(r)")
        let p = try lonely(["prepare", stage1, "coreos.com/rkt-busybox"])
        #expect(p.exit == 0, "\(p)")
        let uuid = p.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(uuid.count == 36, "\(p)")
        let rp = try lonely(["run-prepared", uuid])
        #expect(rp.exit == 0, "\(rp)")
        let before = RunFlagsTests.podEntries(env)
        #expect(before.count == 2, "\(before)")

        // A file image must be imported with its signature checked: rkt-full's job.
        let missing = "rkt: cannot run \(lone)/rkt-full: no such file or directory"
        for args in [["run", stage1, aci], ["list"], ["run", "--help"], ["version"], []] {
            let f = try lonely(args)
            #expect(f.exit == 254, "\(args): \(f)")
            #expect(f.stderr.contains(missing), "\(args): \(f)")
        }
        // The hand-over happens before any pod exists.
        #expect(RunFlagsTests.podEntries(env) == before)
    }

    @Test("a run that must fetch is handed to rkt-full whole: one pod, each --debug line once")
    func handOver() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.extraGlobalFlags = ["--debug"]
        let aci = try TestImages.busybox()
        let r = env.run([aci, "--exec=/bin/true"])
        #expect(r.exit == 0, "\(r)")
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("run: timing: parse") }.count == 1, "\(r.stderr)")
        #expect(lines.filter { $0.hasPrefix("image: using image from file \(RktBuild.stage1FlyACI)") || $0.hasPrefix("image: using image from file \(RktBuild.stage1ACI)") }.count == 1,
                "\(r.stderr)")
        #expect(lines.filter { $0.contains("using image from file \(aci)") }.count == 1, "\(r.stderr)")
        #expect(RunFlagsTests.podEntries(env).count == 1)
        // The second run finds the image in the store and stays in rkt.
        let again = env.run(["coreos.com/rkt-busybox", "--exec=/bin/true"])
        #expect(again.exit == 0, "\(again)")
        #expect(again.stderr.contains("using image from local store for image name coreos.com/rkt-busybox"), "\(again)")
    }

    @Test("rkt links neither Foundation nor the network stack; rkt-full does")
    func lean() throws {
        func contains(_ path: String, _ needle: String) throws -> Bool {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return data.range(of: Data(needle.utf8)) != nil
        }
        let full = RktBuild.binDir + "/rkt-full"
        for needle in ["10Foundation", "FoundationEssentials", "NIOCore", "AsyncHTTPClient", "ArgumentParser"] {
            #expect(try !contains(RktBuild.rkt, needle), "rkt contains \(needle)")
        }
        #expect(try contains(full, "FoundationEssentials") && contains(full, "NIOCore"))
    }
}
