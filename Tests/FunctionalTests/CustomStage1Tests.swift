import Foundation
import Testing

/// A third-party stage1 built the way docs/stage1-interface.md describes: a shell-script `run`
/// entrypoint that uses the busybox in its own rootfs, writes `ppid`, runs the app with chroot,
/// records its exit status and exits with it. rkt must run it through `--stage1-path` like any
/// stage1 image, honouring the interface both ways.
@Suite("Custom stage1")
struct CustomStage1Tests {
    static let runScript = #"""
        #!/bin/sh
        # Minimal rkt stage1 run entrypoint. cwd is the pod directory; the last argument is the pod
        # UUID; RKT_LOCK_FD is the locked pod directory, kept open because nothing closes it.
        s1=$(cd "$(dirname "$0")" && pwd)
        bb="$s1/bin/busybox"
        for a in "$@"; do uuid=$a; done
        echo "custom-stage1 args: $*" >&2
        echo "custom-stage1 lock: $("$bb" readlink /proc/$$/fd/$RKT_LOCK_FD)" >&2
        echo $$ > ppid
        app=$("$bb" ls "$s1/opt/stage2" | "$bb" head -n 1)
        argv=$("$bb" tr -d '\n\t ' < pod | "$bb" sed -e 's|\\/|/|g' -n -e 's/.*"exec":\[\([^]]*\)\].*/\1/p' | "$bb" tr ',' ' ' | "$bb" tr -d '"')
        "$bb" chroot "$s1/opt/stage2/$app/rootfs" $argv
        code=$?
        echo "$code" > "$s1/rkt/status/$app"
        exit "$code"
        """# + "\n"

    static let noop = "#!/bin/sh\nexit 0\n"

    /// The stage1 ACI: busybox, the four entrypoints, the pre-created dirs, interface version 5.
    static func image() throws -> String {
        let root = try ImageCache.shared.once("custom-stage1") { root in
            let fm = FileManager.default
            for d in ["bin", "opt/stage2", "rkt/status", "rkt/env", "etc"] {
                try fm.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true)
            }
            let bb = ["/bin/busybox", "/usr/bin/busybox"].first { fm.isExecutableFile(atPath: $0) } ?? "/bin/busybox"
            try mustRun("/usr/bin/install", ["-m", "0755", bb, root + "/bin/busybox"])
            for (name, text) in [("run", runScript), ("enter", noop), ("gc", noop), ("stop", noop)] {
                try text.write(toFile: root + "/" + name, atomically: false, encoding: .utf8)
                try mustRun("/bin/chmod", ["0755", root + "/" + name])
            }
        }
        var m = TestManifest(name: "example.com/rkt-custom-stage1")
        m.labels = [("version", "0.0.1"), ("arch", "amd64"), ("os", "linux")]
        m.annotations = [
            ("coreos.com/rkt/stage1/run", "/run"), ("coreos.com/rkt/stage1/enter", "/enter"),
            ("coreos.com/rkt/stage1/gc", "/gc"), ("coreos.com/rkt/stage1/stop", "/stop"),
            ("coreos.com/rkt/stage1/interface-version", "5"),
        ]
        return try TestImages.build(manifest: m, rootfs: root)
    }

    @Test("the custom stage1 image is a valid ACI")
    func validates() throws {
        let r = try runCommand("/usr/bin/actool", ["validate", try Self.image()])
        #expect(r.exit == 0, "\(r)")
    }

    @Test("rkt run --stage1-path runs a shell-script stage1 and propagates the app's exit status")
    func runsApp() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let stage1 = try Self.image()
        let aci = try TestImages.inspect { $0.setExec("/inspect --print-msg=HelloFromCustomStage1 --exit-code=7") }
        let uuidFile = env.tmpDir + "/uuid"
        let r = env.rkt(["run", "--stage1-path=\(stage1)", "--uuid-file-save=\(uuidFile)", aci])
        #expect(r.exit == 7, "\(r)")
        #expect(r.stdout.contains("HelloFromCustomStage1"), "\(r)")

        let uuid = (try? String(contentsOfFile: uuidFile, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        #expect(firstUUID(in: uuid) == uuid, "no UUID saved: \(uuid)")
        // The stage1 got the pod UUID last and the locked pod directory as RKT_LOCK_FD.
        #expect(r.stderr.contains("custom-stage1 args: "), "\(r)")
        if let args = r.stderr.split(separator: "\n").first(where: { $0.hasPrefix("custom-stage1 args: ") }) {
            #expect(args.hasSuffix(" " + uuid), "\(args)")
            #expect(args.contains("--local-config=\(env.localConfig)"), "\(args)")
        }
        if let lock = r.stderr.split(separator: "\n").first(where: { $0.hasPrefix("custom-stage1 lock: ") }) {
            #expect(lock.hasSuffix("/" + uuid), "lock fd is not the pod dir: \(lock)")
        }

        let status = env.rkt(["status", uuid])
        #expect(status.exit == 0, "\(status)")
        let kv = parseKeyValues(status.stdout)
        #expect(kv["state"] == "exited", "\(status)")
        #expect(kv["app-rkt-inspect"] == "7", "\(status)")
    }

    @Test("a relative --stage1-path and a missing one")
    func stage1PathForms() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let stage1 = try Self.image()
        let aci = try TestImages.inspect { $0.setExec("/inspect --print-msg=RelativeStage1") }
        let rel = try runCommand(RktBuild.rkt, env.globalFlags + ["run", "--stage1-path=\((stage1 as NSString).lastPathComponent)", aci],
                                 cwd: (stage1 as NSString).deletingLastPathComponent)
        #expect(rel.exit == 0, "\(rel)")
        #expect(rel.stdout.contains("RelativeStage1"))
        let missing = env.rkt(["run", "--stage1-path=\(env.tmpDir)/no-such-stage1.aci", aci])
        #expect(missing.exit == 254, "\(missing)")
    }
}
