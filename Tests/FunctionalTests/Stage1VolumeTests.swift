import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Volumes and mounts of the full stage1 seen from inside the pod (issue #4 "Volumes and
/// mounts"): host volumes, empty volumes, image mount points, `--mount` and symlinks in images.
@Suite("full stage1 volumes")
struct Stage1VolumeTests {
    /// A host directory under the test's tmp dir holding `file` with `content`.
    static func hostDir(_ env: RktTestEnv, _ name: String, content: String = "from-host") throws -> String {
        let dir = env.tmpDir + "/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try content.write(toFile: dir + "/file", atomically: false, encoding: .utf8)
        return dir
    }

    static func sh(_ env: RktTestEnv, _ flags: [String], _ script: String, appFlags: [String] = []) throws -> CommandResult {
        let img = try TestImages.busybox()
        return env.run(["--net=host"] + flags + [img] + appFlags + ["--exec=/bin/sh", "--", "-c", script])
    }

    /// The pod directory of `uuid`, wherever its state put it.
    static func podDir(_ env: RktTestEnv, _ uuid: String) -> String? {
        for state in ["run", "exited-garbage", "prepared", "garbage"] {
            let p = env.dataDir + "/pods/\(state)/" + uuid
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        return nil
    }

    static func uuid(_ file: String) -> String {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("a host volume is shared with the host, and readOnly makes writes fail", arguments: [false, true])
    func hostVolume(readOnly: Bool) throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let dir = try Self.hostDir(env, "data")
        let r = try Self.sh(env, ["--volume=data,kind=host,source=\(dir),readOnly=\(readOnly)", "--mount=volume=data,target=/data"],
                            "cat /data/file; echo; echo written > /data/new && echo write=ok || echo write=failed")
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("from-host"), "\(r)")
        #expect(r.stdout.contains(readOnly ? "write=failed" : "write=ok"), "\(r)")
        #expect(FileManager.default.fileExists(atPath: dir + "/new") == !readOnly, "\(r)")
        if readOnly { #expect(r.stderr.lowercased().contains("read-only file system"), "\(r)") }
    }

    @Test("a host file volume lands on a file, and missing parents of a target are created in the image")
    func fileVolumeAndDeepTarget() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let dir = try Self.hostDir(env, "conf", content: "setting=1")
        let r = try Self.sh(env, ["--volume=conf,kind=host,source=\(dir)/file,readOnly=true", "--mount=volume=conf,target=/etc/app.conf",
                                  "--volume=deep,kind=empty,readOnly=false", "--mount=volume=deep,target=/new/deep/dir"],
                            "cat /etc/app.conf; echo; [ -f /etc/app.conf ] && echo conf=file; echo x > /new/deep/dir/x && echo deep=rw")
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("setting=1") && r.stdout.contains("conf=file") && r.stdout.contains("deep=rw"), "\(r)")
    }

    @Test("a mount below a host volume is visible in the pod only when the volume is recursive",
          arguments: [true, false])
    func recursiveHostVolume(recursive: Bool) throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let dir = try Self.hostDir(env, "tree")
        let sub = dir + "/sub"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        try mustRun("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "rkt-test-submount", sub])
        defer { _ = try? runCommand("/bin/umount", ["-l", sub]) }
        try "inner".write(toFile: sub + "/inner", atomically: false, encoding: .utf8)
        let r = try Self.sh(env, ["--volume=tree,kind=host,source=\(dir),recursive=\(recursive),readOnly=true",
                                  "--mount=volume=tree,target=/tree"],
                            "cat /tree/file; echo; ls /tree/sub; touch /tree/sub/x 2>/dev/null && echo sub=rw || echo sub=ro")
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("from-host"), "\(r)")
        #expect(r.stdout.contains("inner") == recursive, "\(r)")
        // readOnly covers the submount too (an empty non-recursive dir is read-only as well).
        #expect(r.stdout.contains("sub=ro"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: sub + "/x"), "\(r)")
    }

    @Test("an empty volume has its mode, uid and gid, is shared by the pod's apps and removed at gc")
    func emptyVolume() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let uuidFile = env.tmpDir + "/uuid"
        let r = env.run(["--net=host", "--uuid-file-save=" + uuidFile,
                         "--volume=shared,kind=empty,mode=0750,uid=1000,gid=100", "--mount=volume=shared,target=/shared",
                         img, "--name=writer", "--exec=/bin/sh", "--", "-c", "echo hello-from-writer > /shared/msg",
                         "---",
                         img, "--name=reader", "--exec=/bin/sh", "--", "-c",
                         "i=0; while [ ! -s /shared/msg ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; "
                            + "cat /shared/msg; stat -c 'perm=%a owner=%u:%g' /shared"], timeout: 60)
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("hello-from-writer"), "\(r)")
        #expect(r.stdout.contains("perm=750 owner=1000:100"), "\(r)")
        let uuid = Self.uuid(uuidFile)
        let pod = Self.podDir(env, uuid)
        #expect(pod != nil, "pod \(uuid)")
        if let pod {
            let onHost = pod + "/sharedVolumes/shared/msg"
            #expect((try? String(contentsOfFile: onHost, encoding: .utf8)) == "hello-from-writer\n")
        }
        let gc = env.rkt(["gc", "--grace-period=0s"])
        #expect(gc.exit == 0, "\(gc)")
        #expect(Self.podDir(env, uuid) == nil, "the pod and its sharedVolumes are gone: \(gc)")
    }

    @Test("an image mount point takes the pod volume of the same name without --mount, read-only as the image says")
    func mountPointByName() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let dir = try Self.hostDir(env, "named")
        let img = try TestImages.busybox {
            $0.addMountPoint(name: "data", path: "/var/data")
            $0.addMountPoint(name: "config", path: "/etc/app", readOnly: true)
        }
        let r = env.run(["--net=host", "--volume=data,kind=host,source=\(dir)", "--volume=config,kind=host,source=\(dir)",
                         img, "--exec=/bin/sh", "--", "-c",
                         "cat /var/data/file; echo; touch /var/data/rw && echo data=rw; touch /etc/app/ro 2>/dev/null || echo config=ro"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("from-host"), "\(r)")
        #expect(r.stdout.contains("data=rw") && r.stdout.contains("config=ro"), "\(r)")
        #expect(FileManager.default.fileExists(atPath: dir + "/rw"), "\(r)")
    }

    @Test("an image mount point without a volume gets an implicit empty volume <app>-<mountpoint>")
    func implicitEmptyVolume() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox { $0.addMountPoint(name: "scratch", path: "/scratch") }
        let uuidFile = env.tmpDir + "/uuid"
        let r = env.run(["--net=host", "--uuid-file-save=" + uuidFile, img, "--name=worker", "--exec=/bin/sh", "--", "-c",
                         "echo kept > /scratch/out && grep -c ' /scratch ' /proc/self/mountinfo"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "/scratch is a mount: \(r)")
        let pod = Self.podDir(env, Self.uuid(uuidFile)) ?? "missing-pod"
        #expect((try? String(contentsOfFile: pod + "/sharedVolumes/worker-scratch/out", encoding: .utf8)) == "kept\n")
    }

    @Test("--mount before the images applies to every app, after an image only to that app")
    func podWideAndPerAppMounts() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let dir = try Self.hostDir(env, "both")
        let img = try TestImages.busybox()
        let probe = "for p in /pod /mine; do [ -f $p/file ] && echo $AC_APP_NAME:$p=yes || echo $AC_APP_NAME:$p=no; done"
        let r = env.run(["--net=host", "--volume=v,kind=host,source=\(dir)", "--mount=volume=v,target=/pod",
                         img, "--name=a", "--mount=volume=v,target=/mine", "--exec=/bin/sh", "--", "-c", probe,
                         "---", img, "--name=b", "--exec=/bin/sh", "--", "-c", probe])
        #expect(r.exit == 0, "\(r)")
        for line in ["a:/pod=yes", "a:/mine=yes", "b:/pod=yes", "b:/mine=no"] {
            #expect(r.stdout.contains(line), "\(line): \(r)")
        }
    }

    /// busybox with one more symlink `at` → `target` in its rootfs.
    static func busyboxWithLink(_ env: RktTestEnv, _ at: String, to target: String) throws -> String {
        let root = env.tmpDir + "/img/rootfs"
        try FileManager.default.createDirectory(atPath: env.tmpDir + "/img", withIntermediateDirectories: true)
        try mustRun("/bin/cp", ["-a", try ImageCache.shared.busyboxRootfs(), root])
        try FileManager.default.createSymbolicLink(atPath: root + "/" + at, withDestinationPath: target)
        return try TestImages.build(manifest: TestImages.busyboxManifest(), rootfs: root)
    }

    @Test("an image whose /proc is a symlink to a host path gets /proc and its masks inside the rootfs")
    func symlinkedProc() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let victim = env.tmpDir + "/victim"
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        let img = try Self.busyboxWithLink(env, "proc", to: victim)
        let r = env.run(["--net=host", img, "--exec=/bin/sh", "--", "-c",
                         "cat /proc/1/comm; grep -E ' \(victim)/sys ' /proc/self/mountinfo | cut -d' ' -f6"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.hasPrefix("pod-init\n"), "\(r)")
        #expect(r.stdout.hasSuffix("\nro,nosuid,nodev,noexec,relatime\n"), "/proc/sys is masked where /proc really is: \(r)")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: victim)) ?? ["?"]
        #expect(left.isEmpty, "the host path the link names is untouched: \(left)")
    }

    @Test("a symlink in the image at a mount target is resolved inside the app rootfs, never on the host",
          arguments: ["abs", "rel", "dotdot"])
    func symlinkedMountTarget(kind: String) throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let victim = env.tmpDir + "/victim"
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        let src = try Self.hostDir(env, "payload")
        // An image whose /link points at the victim's host path, absolutely or through `..`s.
        let target: String
        switch kind {
        case "abs": target = victim
        case "rel": target = String(repeating: "../", count: 12) + String(victim.dropFirst())
        default: target = "/../../.." + victim
        }
        let img = try Self.busyboxWithLink(env, "link", to: target)
        let r = env.run(["--net=host", "--volume=p,kind=host,source=\(src)", "--mount=volume=p,target=/link/sub",
                         img, "--exec=/bin/sh", "--", "-c", "cat /link/sub/file; echo; echo landed > /link/sub/mark"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("from-host"), "the mount is where the link points inside the image: \(r)")
        #expect(FileManager.default.fileExists(atPath: src + "/mark"), "\(r)")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: victim)) ?? ["?"]
        #expect(left.isEmpty, "the host path the link names is untouched: \(left)")
        #expect(mountsUnder(victim).isEmpty)
    }
}
