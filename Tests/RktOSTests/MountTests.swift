import Glibc
import RktOS
import RktTestSupport
import Testing

@Suite("Mounts and MountInfo")
struct MountTests {
    static let sample = """
        22 27 0:21 / /proc rw,relatime shared:5 - proc proc rw
        27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
        60 27 0:50 / /tmp/with\\040space rw - tmpfs tmpfs rw
        61 60 0:51 /sub /tmp/with\\040space/a rw master:3 - tmpfs none rw
        """

    @Test("mountinfo lines parse with optional fields and octal escapes")
    func parse() {
        let m = MountInfo.parse(Self.sample)
        #expect(m.count == 4)
        #expect(m[0].mountPoint == "/proc" && m[0].isShared && m[0].fsType == "proc")
        #expect(m[2].mountPoint == "/tmp/with space")
        #expect(m[3].root == "/sub" && m[3].isSlave && !m[3].isShared && m[3].parentID == 60)
    }

    @Test("mounts under a path come deepest first and exclude look-alike siblings")
    func underOrder() {
        let m = MountInfo.parse("""
            1 0 0:1 / /pod rw - tmpfs t rw
            2 1 0:2 / /pod/a rw - tmpfs t rw
            3 2 0:3 / /pod/a/b rw - tmpfs t rw
            4 1 0:4 / /pod/a rw - tmpfs t rw
            5 0 0:5 / /podx rw - tmpfs t rw
            """)
        #expect(MountInfo.under("/pod", in: m).map(\.id) == [3, 4, 2, 1])
    }

    @Test("mounts below a mount that another was stacked on are shadowed; the stack's top is not")
    func shadowedMounts() {
        // /sys/fs/cgroup: a tmpfs (31) with a v1 hierarchy (35), then a cgroup2 (50) mounted over
        // the tmpfs, with a child of its own (51).
        let m = MountInfo.parse("""
            23 1 0:21 / /sys rw - sysfs sysfs rw
            31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw
            35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
            50 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw
            51 50 0:40 / /sys/fs/cgroup/x rw - tmpfs tmpfs rw
            60 23 0:41 / /sys/kernel rw - tmpfs tmpfs rw
            """)
        #expect(MountInfo.shadowed(m) == [31, 35])
        #expect(MountInfo.shadowed(Array(m.prefix(3))).isEmpty)
    }

    @Test("a recursive read-only bind makes every reachable submount read-only, with mount_setattr and with the per-mount fallback",
          arguments: [true, false])
    func readOnlyBindWithShadowedSubmount(_ setattr: Bool) throws {
        let t = try TempDir()
        defer { t.cleanup() }
        Mounts.useMountSetattr = setattr
        defer { Mounts.useMountSetattr = true }
        let r = try inPrivateMountNamespace { () throws -> (Bool, Bool) in
            try FileSystem.mkdirAll(t.sub("src"))
            try FileSystem.mkdirAll(t.sub("dst"))
            try Mounts.tmpfs(t.sub("src"))
            try FileSystem.mkdirAll(t.sub("src/sub"))
            try Mounts.tmpfs(t.sub("src/sub"))
            try FileSystem.mkdirAll(t.sub("src/sub/inner"))
            try Mounts.tmpfs(t.sub("src/sub/inner"))
            // Stacked over src/sub: src/sub/inner is now unreachable.
            try Mounts.tmpfs(t.sub("src/sub"))
            try Mounts.bind(t.sub("src"), t.sub("dst"), recursive: true, readOnly: true)
            let topReadOnly = try MountInfo.read().last { $0.mountPoint == t.sub("dst/sub") }?.isReadOnly ?? false
            let writable = (try? FileIO.writeFile(t.sub("dst/sub/f"), "x")) != nil
            try Mounts.unmountAll(under: t.sub("dst"))
            try Mounts.unmountAll(under: t.sub("src"))
            return (topReadOnly, writable)
        }
        #expect(r.0 && !r.1)
    }

    @Test("bind, read-only bind and tmpfs mounts work and unmountAll restores the table")
    func bindAndUnmountAll() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        let r = try inPrivateMountNamespace {
            let before = try MountInfo.read()
            try FileSystem.mkdirAll(t.sub("src"))
            try FileSystem.mkdirAll(t.sub("pod/ro"))
            try FileSystem.mkdirAll(t.sub("pod/tmp"))
            try Mounts.tmpfs(t.sub("src"))
            try FileSystem.mkdirAll(t.sub("src/inner"))
            try Mounts.tmpfs(t.sub("src/inner"))
            try FileIO.writeFile(t.sub("src/inner/f"), "inner")
            try Mounts.bind(t.sub("src"), t.sub("pod/ro"), recursive: true, readOnly: true)
            try Mounts.tmpfs(t.sub("pod/tmp"))
            try Mounts.makeShared(t.sub("pod/tmp"))
            let content = try FileIO.readString(t.sub("pod/ro/inner/f"))
            // Read-only applies to the submount too.
            let writable = (try? FileIO.writeFile(t.sub("pod/ro/inner/g"), "x")) != nil
            let isMount = try Mounts.isMountPoint(t.sub("pod/ro/inner"))
            // A read-only bind keeps the source's nosuid/nodev/noexec.
            try FileSystem.mkdirAll(t.sub("pod/locked"))
            try FileSystem.mkdirAll(t.sub("lockedsrc"))
            try Mounts.tmpfs(t.sub("lockedsrc"), flags: [.noSuid, .noDev, .noExec])
            try Mounts.bind(t.sub("lockedsrc"), t.sub("pod/locked"), readOnly: true)
            let lockedOpts = try MountInfo.read().last { $0.mountPoint == t.sub("pod/locked") }?.options ?? ""
            try Mounts.unmountAll(under: t.sub("lockedsrc"))
            try Mounts.unmountAll(under: t.sub("pod"))
            try Mounts.unmountAll(under: t.sub("src"))
            return (content, writable, isMount, before, try MountInfo.read(), lockedOpts)
        }
        #expect(Mounts.perMountFlags(r.5) == [.readOnly, .noSuid, .noDev, .noExec, .relatime], "\(r.5)")
        #expect(r.0 == "inner")
        #expect(!r.1)
        #expect(r.2)
        #expect(r.3 == r.4)
    }
}
