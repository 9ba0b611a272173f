import CShim
import Glibc
import RktCommon
@testable import RktOS
import RktTestSupport
import Stage1
import Testing

/// cgroup v2 code paths. CI runs on a v1 (hybrid) host, so they are driven against a fake tree
/// of plain files laid out like cgroupfs, and against a private mount of the real cgroup2
/// hierarchy (it has no controllers there, but directories, `cgroup.procs` and
/// `CLONE_INTO_CGROUP` work as on a pure v2 host).
@Suite("stage1 cgroup v2")
struct CgroupV2Tests {
    /// A fake unified hierarchy: `dirs` maps each cgroup (relative, "" for the root) to the
    /// controllers its `cgroup.controllers` lists; every cgroup gets an empty
    /// `cgroup.subtree_control`, and `knobs` are created empty in each non-root one.
    static func fakeTree(_ dir: FlyTempDir, _ dirs: [(String, String)], knobs: [String]) throws -> String {
        let root = dir.sub("cgroup")
        for (rel, controllers) in dirs {
            let d = rel.isEmpty ? root : PathUtil.join(root, rel)
            try FileSystem.mkdirAll(d)
            try FileIO.writeFile(PathUtil.join(d, "cgroup.controllers"), controllers + "\n")
            try FileIO.writeFile(PathUtil.join(d, "cgroup.subtree_control"), "")
            if !rel.isEmpty { for k in knobs { try FileIO.writeFile(PathUtil.join(d, k), "") } }
        }
        return root
    }

    static func read(_ path: String) -> String { (try? FileIO.readString(path)) ?? "<missing>" }

    @Test("a hybrid host (tmpfs /sys/fs/cgroup with a cgroup2 'unified' mount) is treated as v1")
    func hybridIsV1() {
        let hybrid = """
            31 23 0:28 / /sys/fs/cgroup rw,relatime shared:8 - tmpfs tmpfs rw,mode=755
            35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:12 - cgroup cgroup rw,memory
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:18 - cgroup2 cgroup2 rw
            """
        let h = CgroupHost.parse(mountinfo: hybrid)
        #expect(h.unifiedRoot == nil)
        #expect(h.v1Mounts["memory"] == "/sys/fs/cgroup/memory")
        let v2 = CgroupHost.parse(mountinfo: "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate")
        #expect(v2.unifiedRoot == "/sys/fs/cgroup" && v2.v1Mounts.isEmpty)
        #expect(v2.directories("a/b") == ["/sys/fs/cgroup/a/b"])
    }

    @Test("the usual layout is found with statfs and /proc/self/cgroup, anything else falls back to mountinfo")
    func usualLayout() throws {
        let dir = try FlyTempDir()
        defer { dir.cleanup() }
        let procCgroup = dir.sub("cgroup")
        try FileIO.writeFile(procCgroup, "9:name=systemd:/\n4:memory:/x\n2:cpu,cpuacct:/\n0::/\n")
        let cgroup1: Int64 = 0x27E0EB, cgroup2: Int64 = 0x6367_7270, tmpfs: Int64 = 0x0102_1994
        let hybrid = ["/sys/fs/cgroup": tmpfs, "/sys/fs/cgroup/systemd": cgroup1, "/sys/fs/cgroup/memory": cgroup1,
                      "/sys/fs/cgroup/cpu,cpuacct": cgroup1]
        let h = try #require(CgroupHost.detectUsualLayout(procCgroup: procCgroup, fsType: { hybrid[$0] }))
        #expect(h.unifiedRoot == nil)
        #expect(h.v1Mounts == ["name=systemd": "/sys/fs/cgroup/systemd", "memory": "/sys/fs/cgroup/memory",
                               "cpu": "/sys/fs/cgroup/cpu,cpuacct", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct"])
        // memory mounted somewhere else: not the usual layout.
        var moved = hybrid
        moved["/sys/fs/cgroup/memory"] = tmpfs
        #expect(CgroupHost.detectUsualLayout(procCgroup: procCgroup, fsType: { moved[$0] }) == nil)
        let v2 = CgroupHost.detectUsualLayout(procCgroup: "/nonexistent", fsType: { $0 == "/sys/fs/cgroup" ? cgroup2 : nil })
        #expect(v2 == CgroupHost(unifiedRoot: "/sys/fs/cgroup", v1Mounts: [:]))
        #expect(CgroupHost.detectUsualLayout(procCgroup: procCgroup, fsType: { _ in nil }) == nil)
    }

    @Test("on this host the usual-layout answer is the one mountinfo gives")
    func usualLayoutMatchesMountinfo() throws {
        guard let fast = CgroupHost.detectUsualLayout() else { return }  // an unusual host: mountinfo is used
        let slow = CgroupHost.parse(mountinfo: try FileIO.readString("/proc/self/mountinfo"))
        #expect(fast.unifiedRoot == slow.unifiedRoot)
        for c in CgroupHost.v1Controllers { #expect(fast.v1Mounts[c] == slow.v1Mounts[c], "\(c)") }
    }

    @Test("limits on v2: controllers enabled down from the root, then memory.max, cpu.max and cpu.weight")
    func limitsOnV2() throws {
        let tmp = try FlyTempDir()
        defer { tmp.cleanup() }
        let all = "cpuset cpu io memory hugetlb pids rdma"
        let root = try Self.fakeTree(tmp, [("", all), ("machine.slice", all), ("machine.slice/pod.scope", all),
                                           ("machine.slice/pod.scope/app", "cpu memory pids")],
                                     knobs: ["memory.max", "cpu.max", "cpu.weight"])
        let host = CgroupHost(unifiedRoot: root, v1Mounts: [:])
        var l = CgroupLimits()
        l.memoryBytes = 64 << 20
        l.cpuQuotaMicros = 25_000
        l.cpuShares = 2048
        try CgroupLimits.apply(l, host: host, relative: "machine.slice/pod.scope/app")
        for dir in ["", "/machine.slice", "/machine.slice/pod.scope"] {
            #expect(Self.read(root + dir + "/cgroup.subtree_control") == "+memory +cpu +pids", "\(dir)")
        }
        let app = root + "/machine.slice/pod.scope/app"
        #expect(Self.read(app + "/cgroup.subtree_control") == "", "the leaf delegates nothing")
        #expect(Self.read(app + "/memory.max") == "67108864")
        #expect(Self.read(app + "/cpu.max") == "25000 100000")
        #expect(Self.read(app + "/cpu.weight") == "200", "2048 shares = weight 200 (systemd's mapping)")
    }

    @Test("cpu-shares map to cpu.weight clamped to 1…10000", arguments: [(2, "1"), (1024, "100"), (500_000, "10000")])
    func weightMapping(shares: Int64, weight: String) throws {
        let tmp = try FlyTempDir()
        defer { tmp.cleanup() }
        let root = try Self.fakeTree(tmp, [("", "cpu"), ("p", "cpu")], knobs: ["cpu.weight"])
        var l = CgroupLimits()
        l.cpuShares = shares
        try CgroupLimits.apply(l, host: CgroupHost(unifiedRoot: root, v1Mounts: [:]), relative: "p")
        #expect(Self.read(root + "/p/cpu.weight") == weight)
    }

    @Test("a controller missing on v2 skips its isolator instead of failing; enabled ones are not re-enabled")
    func missingController() throws {
        let tmp = try FlyTempDir()
        defer { tmp.cleanup() }
        let root = try Self.fakeTree(tmp, [("", "memory pids"), ("pod", "memory pids")], knobs: ["memory.max"])
        try FileIO.writeFile(root + "/cgroup.subtree_control", "memory\n")
        let host = CgroupHost(unifiedRoot: root, v1Mounts: [:])
        #expect(host.directory("pod", controller: "cpu") == nil)
        #expect(host.directory("pod", controller: "memory") == root + "/pod")
        var l = CgroupLimits()
        l.memoryBytes = 4096
        l.cpuQuotaMicros = 10_000
        try CgroupLimits.apply(l, host: host, relative: "pod")
        #expect(Self.read(root + "/cgroup.subtree_control") == "+pids")
        #expect(Self.read(root + "/pod/memory.max") == "4096")
        #expect(!FileSystem.exists(root + "/pod/cpu.max"))
    }

    @Test("on the real cgroup2 hierarchy: create, join by CLONE_INTO_CGROUP or cgroup.procs, remove")
    func realUnifiedHierarchy() throws {
        let results = try inPrivateMountNamespace { () throws -> [String] in
            let tmp = try FlyTempDir()
            defer { tmp.cleanup() }
            let mnt = tmp.sub("unified")
            try FileSystem.mkdirAll(mnt)
            try Mounts.mount(source: "cgroup2", target: mnt, fsType: "cgroup2")
            defer { try? Mounts.unmount(mnt, lazy: true) }
            let host = CgroupHost(unifiedRoot: mnt, v1Mounts: [:])
            let top = "rkt-v2-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            defer { try? host.remove(top) }
            let leaf = top + "/pod/app"
            try host.create(leaf)
            var out: [String] = []
            for viaFD in [true, false] {
                var req = SpawnRequest(path: "/bin/sleep", argv: ["sleep", "10"], env: [])
                let dirFD = viaFD ? host.openDirectory(leaf) : -1
                let procs = viaFD ? [] : try host.openProcs(leaf)
                req.cgroupFD = dirFD
                req.cgroupProcsFDs = procs
                let pid = try Spawn.run(req)
                if dirFD >= 0 { FileIO.close(dirFD) }
                for fd in procs { FileIO.close(fd) }
                let line = (try FileIO.readString("/proc/\(pid)/cgroup")).split(separator: "\n").first { $0.hasPrefix("0::") }
                out.append(line.map(String.init) ?? "<none>")
                kill(pid, SIGKILL)
                _ = try Spawn.wait(pid)
            }
            try host.remove(top)
            out.append(FileSystem.exists(PathUtil.join(mnt, top)) ? "left behind" : "removed")
            return out
        }
        #expect(results.count == 3)
        #expect(results.first?.hasSuffix("/pod/app") == true && results.first?.contains("rkt-v2-test-") == true, "\(results)")
        #expect(results.dropFirst().first == results.first, "cgroup.procs joins the same cgroup: \(results)")
        #expect(results.last == "removed", "\(results)")
    }
}
