import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// More `rkt run`/`prepare` flags with the fly stage1: what lands in the pod manifest, UUID
/// handling of the pod commands, overlay or copy, `--pod-manifest`, the pull policy and the
/// `--stage1-*` selectors (rkt-functional-tests.md §2, rkt-architecture.md §3–4).
@Suite("rkt run flags, continued")
struct RunFlagsMoreTests {
    typealias Flags = RunFlagsTests

    static func isolator(_ app: [String: Any], _ name: String) -> Any? {
        let isolators = (app["app"] as? [String: Any])?["isolators"] as? [[String: Any]] ?? []
        return isolators.first { $0["name"] as? String == name }?["value"]
    }

    @Test("per-app flags are recorded in the pod manifest the way rkt records them")
    func perAppFlagsInManifest() throws {
        let env = try Flags.flyEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let uuid = try env.prepare([
            img, "--name=web", "--user=0", "--group=0", "--supplementary-gids=5,6", "--working-dir=/tmp",
            "--readonly-rootfs=true", "--oom-score-adj=5", "--cpu=200m", "--memory=64M",
            "--caps-retain=CAP_NET_ADMIN", "--seccomp=mode=retain,@rkt/default-whitelist",
            "--user-annotation=team=infra", "--user-label=tier=web",
            "--stdin=null", "--stdout=log", "--stderr=null", "--environment=X=1",
        ])
        let app = try #require(Flags.apps(try Flags.manifest(env, uuid)).first)
        let inner = try #require(app["app"] as? [String: Any])
        #expect(app["name"] as? String == "web")
        #expect(app["readOnlyRootFS"] as? Bool == true)
        #expect(inner["user"] as? String == "0" && inner["group"] as? String == "0")
        #expect(inner["supplementaryGIDs"] as? [Int] == [5, 6])
        #expect(inner["workingDirectory"] as? String == "/tmp")
        #expect(Flags.env(of: app).contains("X=1"))
        #expect(inner["userAnnotations"] as? [String: String] == ["team": "infra"])
        #expect(inner["userLabels"] as? [String: String] == ["tier": "web"])
        #expect(Self.isolator(app, "os/linux/oom-score-adj") as? Int == 5)
        #expect((Self.isolator(app, "resource/memory") as? [String: String])?["limit"] == "64M")
        #expect((Self.isolator(app, "resource/cpu") as? [String: String])?["limit"] == "200m")
        #expect((Self.isolator(app, "os/linux/capabilities-retain-set") as? [String: Any])?["set"] as? [String] == ["CAP_NET_ADMIN"])
        #expect((Self.isolator(app, "os/linux/seccomp-retain-set") as? [String: Any])?["set"] as? [String] == ["@rkt/default-whitelist"])
        let annotations = (app["annotations"] as? [[String: String]] ?? []).reduce(into: [String: String]()) {
            $0[$1["name"] ?? ""] = $1["value"]
        }
        #expect(annotations["coreos.com/rkt/stage2/stdin"] == "null")
        #expect(annotations["coreos.com/rkt/stage2/stdout"] == "log")
        #expect(annotations["coreos.com/rkt/stage2/stderr"] == "null")
    }

    @Test("--supplementary-gids reach the app's process")
    func supplementaryGIDs() throws {
        let env = try Flags.flyEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let r = env.run([img, "--user=200", "--group=300", "--supplementary-gids=401,402", "--exec=/bin/id", "--", "-G"])
        #expect(r.exit == 0, "\(r)")
        #expect(Set(r.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" })) == ["300", "401", "402"], "\(r)")
    }

    @Test("--uuid-file-save writes the UUID; rm takes several UUIDs and --uuid-file")
    func uuidFilesAndRm() throws {
        let env = try Flags.flyEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        var uuids: [String] = []
        for i in 0..<3 {
            let file = env.tmpDir + "/uuid\(i)"
            let r = env.run(["--uuid-file-save=\(file)", img])
            #expect(r.exit == 0, "\(r)")
            let saved = try String(contentsOfFile: file, encoding: .utf8)
            #expect(firstUUID(in: saved) == saved, "the file holds only the UUID: \(saved.debugDescription)")
            uuids.append(saved)
        }
        let byFile = env.rkt(["rm", "--uuid-file=\(env.tmpDir)/uuid0"])
        #expect(byFile.exit == 0, "\(byFile)")
        #expect(byFile.stdout.contains(uuids[0]), "\(byFile)")
        let several = env.rkt(["rm", uuids[1], String(uuids[2].prefix(8))])
        #expect(several.exit == 0, "\(several)")
        #expect(several.stdout.contains(uuids[1]) && several.stdout.contains(uuids[2]), "\(several)")
        #expect(Flags.podEntries(env).isEmpty, "\(Flags.podEntries(env))")
    }

    @Test("empty, unknown and ambiguous UUIDs exit 254 with a clear message in every pod command")
    func badUUIDs() throws {
        let env = try Flags.flyEnv()
        defer { env.cleanup() }
        for command in ["rm", "status", "cat-manifest", "stop", "enter"] {
            let empty = env.rkt([command, ""])
            #expect(empty.exit == 254, "\(command): \(empty)")
            #expect(empty.stderr.contains("UUID cannot be empty"), "\(command): \(empty)")
            let unknown = env.rkt([command, "0123abcd"])
            #expect(unknown.exit == 254, "\(command): \(unknown)")
            #expect(unknown.stderr.contains("no matches found for \"0123abcd\""), "\(command): \(unknown)")
        }
        // 17 pods give two with the same first hex digit (pigeonhole): that digit is ambiguous.
        let img = try TestImages.busybox()
        var byDigit: [Character: Int] = [:]
        for _ in 0..<17 {
            let uuid = try env.prepare([img])
            byDigit[uuid.first!, default: 0] += 1
        }
        let digit = try #require(byDigit.first { $0.value > 1 }?.key)
        let ambiguous = env.rkt(["rm", String(digit)])
        #expect(ambiguous.exit == 254, "\(ambiguous)")
        #expect(ambiguous.stderr.contains("ambiguous"), "\(ambiguous)")
        #expect(Flags.podEntries(env).count == 17, "an ambiguous rm removes nothing")
    }

    @Test("pods run on overlay by default and on a copy with --no-overlay; gc leaves no mounts")
    func overlayAndCopy() throws {
        let env = try Flags.flyEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let overlay = try env.prepare([img, "--exec=/bin/echo", "--", "on-overlay"])
        let copy = try env.prepare(["--no-overlay", img, "--exec=/bin/echo", "--", "on-copy"])
        let prepared = "\(env.dataDir)/pods/prepared"
        #expect(FileManager.default.fileExists(atPath: "\(prepared)/\(overlay)/overlay-prepared"))
        #expect(!FileManager.default.fileExists(atPath: "\(prepared)/\(copy)/overlay-prepared"))
        // A copied pod owns real files: the app's rootfs is already there before run.
        var st = stat()
        let copiedShell = "\(prepared)/\(copy)/stage1/rootfs/opt/stage2/rkt-busybox/rootfs/usr/bin/busybox"
        #expect(lstat(copiedShell, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG, "\(copiedShell)")

        for (uuid, word) in [(overlay, "on-overlay"), (copy, "on-copy")] {
            let r = env.rkt(["run-prepared", uuid])
            #expect(r.exit == 0, "\(r)")
            #expect(r.stdout.contains(word), "\(r)")
        }
        let gc = env.rkt(["gc", "--grace-period=0s"])
        #expect(gc.exit == 0, "\(gc)")
        #expect(mountsUnder(env.dataDir).isEmpty, "\(mountsUnder(env.dataDir))")
        #expect(Flags.podEntries(env).isEmpty, "\(Flags.podEntries(env))")
    }

    @Test("--pod-manifest runs a hand-written pod manifest")
    func podManifest() throws {
        let env = try Flags.flyEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let fetched = env.rkt(["fetch", img])
        #expect(fetched.exit == 0, "\(fetched)")
        let id = fetched.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let manifest = """
        {"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"hand","image":{"id":"\(id)"},
         "app":{"exec":["/bin/sh","-c","echo from-pod-manifest $GREETING"],"user":"0","group":"0",
                "environment":[{"name":"GREETING","value":"hi"}]}}]}
        """
        let path = try env.writeFile("pod.json", manifest)
        let r = env.run(["--pod-manifest=\(path)"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("from-pod-manifest hi"), "\(r)")
        let bad = try env.writeFile("bad.json", "{\"acKind\":\"PodManifest\"")
        let refused = env.run(["--pod-manifest=\(bad)"])
        #expect(refused.exit == 254, "\(refused)")
        #expect(Flags.podEntries(env).allSatisfy { !$0.hasPrefix("embryo") && !$0.hasPrefix("prepare/") },
                "\(Flags.podEntries(env))")
    }

    @Test("--pull-policy=never only uses the store; an image there is found by name")
    func pullPolicyNever() throws {
        let env = try Flags.flyEnv()
        defer { env.cleanup() }
        let missing = env.run(["--pull-policy=never", "example.com/not-in-store:1.0"])
        #expect(missing.exit == 254, "\(missing)")
        #expect(missing.stderr.contains("example.com/not-in-store"), "\(missing)")
        let img = try TestImages.busybox()
        #expect(env.rkt(["fetch", img]).exit == 0)
        let byName = env.run(["--pull-policy=never", "coreos.com/rkt-busybox", "--exec=/bin/echo", "--", "by-name"])
        #expect(byName.exit == 0, "\(byName)")
        #expect(byName.stdout.contains("by-name"), "\(byName)")
    }

    @Test("--stage1-name, --stage1-hash and --stage1-from-dir select the stage1 image")
    func stage1Selectors() throws {
        let env = try Flags.flyEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let first = env.run([img, "--exec=/bin/true"])
        #expect(first.exit == 0, "\(first)")
        let list = env.rkt(["image", "list", "--no-legend", "--full", "--fields=id,name"])
        let stage1 = try #require(list.stdout.split(separator: "\n").first { $0.contains("stage1-fly") })
        let cols = stage1.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let (id, name) = (cols[0], cols[1])
        for flag in ["--stage1-name=\(name)", "--stage1-hash=\(id)", "--stage1-from-dir=stage1-fly.aci"] {
            let r = env.rkt(["run", flag, img, "--exec=/bin/echo", "--", "selected"])
            #expect(r.exit == 0, "\(flag): \(r)")
            #expect(r.stdout.contains("selected"), "\(flag): \(r)")
        }
        let unknown = env.rkt(["run", "--stage1-hash=sha512-0000000000000000", img])
        #expect(unknown.exit == 254, "\(unknown)")
        let absent = env.rkt(["run", "--stage1-from-dir=no-such-stage1.aci", img])
        #expect(absent.exit == 254, "\(absent)")
        #expect(absent.stderr.contains("no-such-stage1.aci"), "\(absent)")
    }

    @Test("fly refuses a second app with rkt's message")
    func flyOneApp() throws {
        let env = try Flags.flyEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let r = env.run([img, img, "--name=second"])
        #expect(r.exit == 254, "\(r)")
        #expect(r.stderr.contains("flavor \"fly\" only supports 1 application per Pod for now"), "\(r)")
    }

    @Test("rkt help run and prepare list every flag of the run grammar")
    func helpListsFlags() throws {
        let app = ["name", "exec", "user", "group", "supplementary-gids", "working-dir", "environment", "mount",
                   "cpu", "memory", "caps-retain", "caps-remove", "seccomp", "oom-score-adj", "readonly-rootfs",
                   "user-annotation", "user-label", "signature", "stdin", "stdout", "stderr"]
        let pod = ["volume", "set-env", "set-env-file", "inherit-env", "no-overlay", "private-users",
                   "pull-policy", "pod-manifest", "stage1-path", "stage1-url", "stage1-name", "stage1-hash",
                   "stage1-from-dir"]
        let runtime = ["port", "net", "dns", "dns-search", "dns-opt", "dns-domain", "hosts-entry", "hostname",
                       "interactive", "ipc", "mds-register", "uuid-file-save"]
        for (command, flags) in [("run", app + pod + runtime), ("prepare", app + pod), ("run-prepared", runtime)] {
            let help = try runCommand(RktBuild.rkt, ["help", command])
            #expect(help.exit == 0, "\(help)")
            for f in flags {
                #expect(help.stdout.contains("--\(f)"), "rkt help \(command) lacks --\(f)")
            }
            // The run grammar takes every token itself, yet --help / -h before an image's
            // arguments still prints the same help.
            for asked in [[command, "--help"], [command, "--net=host", "-h"]] {
                let same = try runCommand(RktBuild.rkt, asked)
                #expect(same.exit == 0 && same.stdout == help.stdout, "\(asked): \(same)")
            }
        }
    }

    @Test("a bad global flag among run's arguments is a usage error naming it")
    func badGlobalFlagInRunGrammar() throws {
        for (args, words) in [(["run", "--debug=maybe", "img"], "invalid argument \"maybe\" for \"--debug\" flag"),
                              (["--insecure-options=bogus", "prepare", "img"], "unknown insecure option \"bogus\""),
                              (["run-prepared", "--insecure-options", "nope", "uuid"], "unknown insecure option \"nope\"")] {
            let r = try runCommand(RktBuild.rkt, args)
            #expect(r.exit == 254, "\(args): \(r)")
            #expect(r.stderr.hasPrefix("Error: ") && r.stderr.contains(words) && r.stderr.contains("--help' for usage"), "\(args): \(r)")
        }
    }
}
