import Glibc
import RktCommon
import RktOS
import RktTestSupport
import Testing

/// End-to-end runs of the built `rkt-stage1-fly` as `run`, against hand-built pod directories,
/// each inside a private mount namespace.
@Suite("Fly run entrypoint")
struct FlyRunTests {
    @Test("run mounts, drops to the image's user, execs via PATH and exits with the app's status; unmountAll restores the mount table")
    func runApp() throws {
        let t = try FlyTempDir()
        defer { t.cleanup() }
        let pod = try FlyTestPod(in: t.sub("pod"), appJSON: """
            {"exec":["sh","-c","echo hello; id; echo FOO=$FOO; ls -d /proc/self /dev/null; cat /etc/hosts; pwd; exit 3"],
             "user":"nobody","group":"nogroup","supplementaryGIDs":[4242],"workingDirectory":"/etc",
             "environment":[{"name":"FOO","value":"bar"}]}
            """)
        // Expectations run here, not on the namespace thread, so they are attributed to this test.
        let r = try inPrivateMountNamespace {
            // fly makes these rshared (as rkt does); do it first so the comparison below only
            // sees what unmountAll must undo.
            for p in ["/dev", "/proc", "/sys"] { try Mounts.makeShared(p) }
            let before = try MountInfo.read()
            let (status, out) = try pod.run()
            let podMounts = MountInfo.under(pod.dir, in: try MountInfo.read()).map(\.mountPoint)
            try Mounts.unmountAll(under: pod.dir)
            return (status, out, podMounts, before, try MountInfo.read())
        }
        let (status, out, podMounts, before, after) = r
        #expect(status == .exited(3), "\(out)")
        #expect(out.contains("hello\n"))
        #expect(out.contains("uid=65534(nobody) gid=65534(nogroup) groups=4242(extra),65534(nogroup)"), "\(out)")
        #expect(out.contains("FOO=bar\n"))
        #expect(out.contains("/proc/self\n") && out.contains("/dev/null\n"))
        #expect(out.contains("127.0.0.1 localhost localdomain"))
        #expect(out.hasSuffix("/etc\n"))

        // The stage1 interface files.
        #expect(try FileIO.readInt(PathUtil.join(pod.dir, "pid")) > 1)
        #expect(try FileIO.readInt(PathUtil.join(pod.dir, "pgid")) > 0)
        let env = try FileIO.readString(PathUtil.join(pod.dir, "stage1/rootfs/rkt/env/app"))
        #expect(env == "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nFOO=bar\n")

        #expect(podMounts.contains(PathUtil.join(pod.appRootfs, "proc")))
        #expect(podMounts.contains(PathUtil.join(pod.appRootfs, "tmp")))
        // Only what fly touches: other tests running in parallel mount and unmount elsewhere
        // (netns binds, their pods), which a copy of the host's table may catch half-way.
        func ours(_ m: MountInfo) -> Bool {
            m.mountPoint.hasPrefix(pod.dir) || ["/dev", "/proc", "/sys"].contains { m.mountPoint == $0 || m.mountPoint.hasPrefix($0 + "/") }
        }
        let added = after.filter { ours($0) && !before.contains($0) }
        let removed = before.filter { ours($0) && !after.contains($0) }
        #expect(added.isEmpty && removed.isEmpty, "left mounted: \(added.map(\.mountPoint)); gone: \(removed.map(\.mountPoint))")
    }

    @Test("host volumes bind non-recursively unless recursive=true, read-only includes submounts, empty volumes get mode and owner")
    func volumes() throws {
        let t = try FlyTempDir()
        defer { t.cleanup() }
        let host = t.sub("host")
        let volumes = """
            [{"name":"flat","kind":"host","source":"\(host)","recursive":false},
             {"name":"deep","kind":"host","source":"\(host)","recursive":true,"readOnly":true},
             {"name":"scratch","kind":"empty","mode":"0700","uid":65534,"gid":65534}]
            """
        let mounts = """
            [{"volume":"flat","path":"/mnt/flat"},{"volume":"deep","path":"/mnt/deep"},
             {"volume":"scratch","path":"/mnt/scratch"}]
            """
        let pod = try FlyTestPod(in: t.sub("pod"), appJSON: """
            {"exec":["/bin/sh","-c","cat /mnt/flat/sub/file /mnt/deep/sub/file; touch /mnt/deep/sub/new || echo RO; stat -c '%a %u' /mnt/scratch"],
             "user":"0","group":"0"}
            """, mountsJSON: mounts, volumesJSON: volumes)
        let (status, out) = try inPrivateMountNamespace {
            try FileSystem.mkdirAll(PathUtil.join(host, "sub"))
            try FileIO.writeFile(PathUtil.join(host, "sub/file"), "outer\n")
            try Mounts.tmpfs(PathUtil.join(host, "sub"))
            try FileIO.writeFile(PathUtil.join(host, "sub/file"), "inner\n")
            defer {
                try? Mounts.unmountAll(under: pod.dir)
                try? Mounts.unmountAll(under: host)
            }
            return try pod.run()
        }
        #expect(status == .exited(0), "\(out)")
        #expect(out.contains("outer\ninner\n"), "\(out)")
        #expect(out.contains("Read-only file system") && out.contains("RO\n"), "\(out)")
        #expect(out.contains("700 65534\n"), "\(out)")
        #expect(!FileSystem.exists(PathUtil.join(host, "sub/new")))
    }

    @Test("dns-conf-mode host binds the host's resolv.conf and hosts read-only into the app")
    func dnsHost() throws {
        let t = try FlyTempDir()
        defer { t.cleanup() }
        let pod = try FlyTestPod(in: t.sub("pod"), appJSON: """
            {"exec":["/bin/sh","-c","cat /etc/hosts; echo x >> /etc/hosts || echo RO; echo y >> /etc/resolv.conf || echo RO2"],
             "user":"0","group":"0"}
            """)
        let hostHosts = try FileIO.readString("/etc/hosts")
        let (status, out) = try inPrivateMountNamespace {
            defer { try? Mounts.unmountAll(under: pod.dir) }
            return try pod.run(["--net=default", "--dns-conf-mode=resolv=host,hosts=host"])
        }
        #expect(status == .exited(0), "\(out)")
        #expect(out.hasPrefix(hostHosts), "\(out)")
        #expect(out.contains("RO\n") && out.contains("RO2\n"), "\(out)")
        #expect(try FileIO.readString("/etc/hosts") == hostHosts)
    }

    @Test("enter runs a command in the app's root with its credentials and env file; stop terminates the app and releases the pod lock")
    func enterAndStop() throws {
        let t = try FlyTempDir()
        defer { t.cleanup() }
        let pod = try FlyTestPod(in: t.sub("pod"), appJSON: """
            {"exec":["/bin/sh","-c","sleep 30"],"user":"nobody","group":"nogroup",
             "environment":[{"name":"FOO","value":"bar"}]}
            """)
        let r = try inPrivateMountNamespace {
            defer { try? Mounts.unmountAll(under: pod.dir) }
            let (pid, lock) = try pod.start()
            lock.close()  // the app holds the lock through its inherited fd
            let pidFile = PathUtil.join(pod.dir, "pid")
            for _ in 0..<100 where !FileSystem.exists(pidFile) { usleep(50_000) }
            usleep(100_000)
            let locked = try FileLock.tryExclusiveLock(pod.dir, .directory) == nil
            let entered = try pod.entrypoint("enter", ["--pid=\(pid)", "--appname=app", "--", "/bin/sh", "-c",
                                                       "id -u; echo FOO=$FOO TERM=$TERM; ls /bin/busybox"],
                                             env: ["TERM=xterm"])
            let stopped = try pod.entrypoint("stop", [FlyTestPod.uuid])
            let appStatus = try Subprocess.wait(pid)
            let released = try FileLock.tryExclusiveLock(pod.dir, .directory) != nil
            let gc = try pod.entrypoint("gc", ["--local-config", "/etc/rkt", FlyTestPod.uuid])
            return (locked, entered, stopped, appStatus, released, gc)
        }
        #expect(r.0, "the running app holds the pod lock")
        #expect(r.1.status == .exited(0), "\(r.1.output)")
        #expect(r.1.output == "65534\nFOO=bar TERM=xterm\n/bin/busybox\n")
        #expect(r.2.status == .exited(0), "\(r.2.output)")
        #expect(r.3 == .signaled(SIGTERM))
        #expect(r.4, "the lock is free once the app is gone")
        #expect(r.5.status == .exited(0))
    }

    @Test("more than one app is refused with rkt's message and status 254")
    func twoApps() throws {
        let t = try FlyTempDir()
        defer { t.cleanup() }
        let pod = try FlyTestPod(in: t.sub("pod"), appJSON: #"{"exec":["/bin/true"],"user":"0","group":"0"}"#, appCount: 2)
        let (status, out) = try pod.run()
        #expect(status == .exited(254))
        #expect(out == "run: flavor \"fly\" only supports 1 application per Pod for now\n")
        #expect(!FileSystem.exists(PathUtil.join(pod.dir, "pid")))
    }

    @Test("an empty exec names the image and suggests --exec")
    func emptyExec() throws {
        let t = try FlyTempDir()
        defer { t.cleanup() }
        let pod = try FlyTestPod(in: t.sub("pod"), appJSON: #"{"exec":[],"user":"0","group":"0"}"#)
        let (status, out) = try pod.run()
        #expect(status == .exited(254))
        #expect(out == "run: image \"example.com/busybox\" has an empty \"exec\" (try --exec=BINARY)\n")
    }

    @Test("flags fly does not declare fail like Go's flag package, with status 2")
    func undeclaredFlag() throws {
        let t = try FlyTempDir()
        defer { t.cleanup() }
        let pod = try FlyTestPod(in: t.sub("pod"), appJSON: #"{"exec":["/bin/true"],"user":"0","group":"0"}"#)
        let (status, out) = try pod.run(["--private-users=0:65536"])
        #expect(status == .exited(2))
        #expect(out.hasPrefix("flag provided but not defined: -private-users"))
        let (status2, out2) = try pod.run(["--net=default"] + ["not-a-uuid"])
        #expect(status2 == .exited(254))
        #expect(out2 == "run: UUID is missing or malformed\n")
    }
}
