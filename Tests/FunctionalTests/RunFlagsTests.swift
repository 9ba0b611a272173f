import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `rkt run` / `prepare` / `run-prepared` flags and their observable effect, with the fly stage1
/// (rkt-functional-tests.md §2.1–2.6, P0-03…P0-15).
@Suite("rkt run flags")
struct RunFlagsTests {
    static func podEntries(_ env: RktTestEnv) -> [String] {
        ["embryo", "prepare", "prepared", "run", "exited-garbage", "garbage"].flatMap { state in
            ((try? FileManager.default.contentsOfDirectory(atPath: "\(env.dataDir)/pods/\(state)")) ?? []).map { "\(state)/\($0)" }
        }
    }

    static func flyEnv() throws -> RktTestEnv {
        let env = try RktTestEnv()
        env.stage1 = .fly
        return env
    }

    /// The pod manifest of a prepared pod, decoded.
    static func manifest(_ env: RktTestEnv, _ uuid: String) throws -> [String: Any] {
        let r = env.rkt(["cat-manifest", uuid])
        guard r.exit == 0, let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
            throw HarnessError("cat-manifest failed: \(r)")
        }
        return obj
    }

    static func apps(_ m: [String: Any]) -> [[String: Any]] { m["apps"] as? [[String: Any]] ?? [] }

    static func env(of app: [String: Any]) -> [String] {
        let a = app["app"] as? [String: Any] ?? [:]
        return (a["environment"] as? [[String: String]] ?? []).map { "\($0["name"] ?? "")=\($0["value"] ?? "")" }
    }

    @Test("the app's exit status is rkt's exit status")
    func exitCodePassthrough() throws {
        let env = try Self.flyEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let r = env.run([img, "--exec", "/bin/sh", "--", "-c", "exit 7"])
        #expect(r.exit == 7, "\(r)")
    }

    @Test("--exec replaces the image's exec and -- passes its arguments")
    func execAndArgs() throws {
        let env = try Self.flyEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let r = env.run([img, "--exec=/bin/echo", "--", "hello", "--not-a-flag", "world"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("hello --not-a-flag world"), "\(r)")
    }

    @Test("-- and --- split arguments between two images in the pod manifest")
    func twoImagesInManifest() throws {
        let env = try Self.flyEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let uuid = try env.prepare([
            img, "--name=worker", "--exec", "/bin/ov", "--", "--loglevel", "verbose", "---",
            img, "--name=syncer", "--", "--interval", "30s",
        ])
        let apps = Self.apps(try Self.manifest(env, uuid))
        #expect(apps.map { $0["name"] as? String } == ["worker", "syncer"])
        let execs = apps.map { (($0["app"] as? [String: Any])?["exec"] as? [String]) ?? [] }
        #expect(execs.first == ["/bin/ov", "--loglevel", "verbose"])
        #expect(execs.last == ["/bin/true", "--interval", "30s"])
    }

    @Test("the documented environment examples give exactly their documented output")
    func documentedEnvironmentExamples() throws {
        let env = try Self.flyEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let host = ["EXAMPLE_ENV": "hello", "EXAMPLE_OVERRIDE": "under"]
        let printer = ["--exec", "/bin/sh", "--", "-c", "echo EXAMPLE_ENV=$EXAMPLE_ENV; echo FOO=$FOO; echo EXAMPLE_OVERRIDE=$EXAMPLE_OVERRIDE"]

        let first = env.run(["--inherit-env", "--set-env=FOO=bar", "--set-env=EXAMPLE_OVERRIDE=over", img] + printer, env: host)
        #expect(first.exit == 0, "\(first)")
        #expect(first.stdout == "EXAMPLE_ENV=hello\nFOO=bar\nEXAMPLE_OVERRIDE=over\n", "\(first)")

        let second = env.run(
            ["--inherit-env", "--set-env=FOO=bar", "--set-env=EXAMPLE_OVERRIDE=over", img,
             "--environment=EXAMPLE_OVERRIDE=ride"] + printer, env: host)
        #expect(second.exit == 0, "\(second)")
        #expect(second.stdout == "EXAMPLE_ENV=hello\nFOO=bar\nEXAMPLE_OVERRIDE=ride\n", "\(second)")
    }

    @Test("environment precedence: image < inherited < env file < --set-env < --environment")
    func environmentPrecedence() throws {
        let env = try Self.flyEnv()
        defer { env.cleanup() }
        let img = try TestImages.inspect()
        let file = try env.writeFile("env.conf", "# Comment\nVAR_OTHER=file\n; Comment\n\nVAR_FILE=file\nVAR_SET=file\n")
        let uuid = try env.prepare([
            "--inherit-env", "--set-env-file=\(file)", "--set-env=VAR_SET=setenv", "--set-env=VAR_APP=setenv",
            img, "--environment=VAR_APP=app",
        ])
        let vars = Self.env(of: Self.apps(try Self.manifest(env, uuid))[0])
        #expect(vars.contains("VAR_FROM_MANIFEST=manifest"))
        #expect(vars.contains("VAR_OTHER=file"))
        #expect(vars.contains("VAR_SET=setenv"))
        #expect(vars.contains("VAR_APP=app"))
        #expect(vars.first == "VAR_FROM_MANIFEST=manifest", "image variables keep their place: \(vars)")
        let inherited = env.run(["--inherit-env", img, "--exec=/inspect", "--", "--print-env=VAR_FROM_MANIFEST"],
                                env: ["VAR_FROM_MANIFEST": "host"])
        #expect(inherited.output.contains("VAR_FROM_MANIFEST=manifest"), "\(inherited)")
    }

    @Test("--user and --group by number and by name, and --working-dir")
    func userGroupWorkingDir() throws {
        let env = try Self.flyEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let byNumber = env.run([img, "--user=200", "--group=300", "--exec=/bin/id"])
        #expect(byNumber.stdout.contains("uid=200") && byNumber.stdout.contains("gid=300"), "\(byNumber)")
        let byName = env.run([img, "--user=user", "--group=user", "--exec=/bin/id"])
        #expect(byName.stdout.contains("uid=1000") && byName.stdout.contains("gid=1000"), "\(byName)")
        let wd = env.run([img, "--working-dir=/bin", "--exec=/bin/pwd"])
        #expect(wd.stdout == "/bin\n", "\(wd)")
    }

    @Test("a host volume mounted with --mount is visible to the app")
    func hostVolume() throws {
        let env = try Self.flyEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let dir = env.tmpDir + "/vol"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "from-host".write(toFile: dir + "/file", atomically: true, encoding: .utf8)
        let r = env.run([
            "--volume=data,kind=host,source=\(dir)", img, "--mount=volume=data,target=/data",
            "--exec=/bin/cat", "--", "/data/file",
        ])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("from-host"), "\(r)")
    }

    @Test("prepare prints only the UUID; run-prepared (by prefix) runs the prepared pod")
    func prepareThenRunPrepared() throws {
        let env = try Self.flyEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let prep = env.rkt(["prepare", env.stage1Flag, img, "--exec=/bin/echo", "--", "prepared-ok"])
        #expect(prep.exit == 0, "\(prep)")
        let uuid = prep.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(uuid.count == 36 && firstUUID(in: uuid) == uuid, "\(prep)")
        #expect(parseKeyValues(env.rkt(["status", uuid]).stdout)["state"] == "prepared")
        #expect(FileManager.default.fileExists(atPath: "\(env.dataDir)/pods/prepared/\(uuid)/pod-created"))
        let r = env.rkt(["run-prepared", String(uuid.prefix(8))])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("prepared-ok"), "\(r)")
        let again = env.rkt(["run-prepared", uuid])
        #expect(again.exit == 254, "\(again)")
    }

    @Test("invalid flag combinations exit 254 and leave nothing in pods/", arguments: [
        (["--port=http:80", "--net=host", "IMG"], "--port flag does not work with 'host' networking"),
        (["--mds-register", "--net=none", "IMG"], "--mds-register flag does not work with --net=none"),
        (["--interactive", "IMG", "IMG"], "interactive option only supports one image"),
        (["--pod-manifest=/dev/null", "--inherit-env"], "conflicting flags set with --pod-manifest (see --help)"),
        (["dummy-image.aci", "--pod-manifest=/dev/null", "--exec=/bin/sh"], "conflicting flags set with --pod-manifest"),
        (["IMG", "--mount=volume=nope,target=/x"], "no volume named \"nope\""),
        (["IMG", "IMG"], "multiple apps with name"),
        (["IMG", "--memory=lots"], "quantities must match"),
        (["IMG", "--caps-retain=CAP_BOGUS"], "unknown capability"),
        (["--stage1-name=a", "IMG"], "mutually exclusive"),
        (["--dns=not-an-ip", "IMG"], "Invalid IP passed to --dns"),
        (["--net=default", "--net=default", "IMG"], "specified more than once"),
        (["--port=http:8080", "IMG"], "could not be found in any apps"),
    ] as [([String], String)])
    func invalidCombinations(args: [String], message: String) throws {
        let env = try Self.flyEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let argv = args.map { $0 == "IMG" ? img : $0 }
        let r = env.run(argv)
        #expect(r.exit == 254, "\(r)")
        #expect(r.stderr.contains(message), "\(r)")
        #expect(r.stderr.contains("run: "), "\(r)")
        #expect(Self.podEntries(env).isEmpty, "pods left behind: \(Self.podEntries(env))")
    }
}
