import RktCommon
import RktJSON
import RktOS
import Stage1
import Testing

@Suite("stage1 security planning")
struct AppSecurityTests {
    func iso(_ name: String, _ json: String) throws -> Isolator {
        Isolator(name: name, value: try parseJSON(json))
    }

    @Test("an app without isolators gets the default 14 capabilities and the default whitelist")
    func defaults() throws {
        let s = try AppSecurity.plan(isolators: [], uid: 0, disableCapabilities: false, disableSeccomp: false)
        #expect(s.capabilities == Capabilities.defaultSet)
        #expect(s.seccomp?.mode == .whitelist)
        #expect(s.seccomp?.syscalls.contains("read") == true)
        #expect(s.seccomp?.syscalls.contains("mount") == false)
        #expect(s.noNewPrivileges == false)
    }

    @Test("a retain set replaces the bounding set and a remove set subtracts from the default")
    func retainAndRemove() throws {
        let r = try AppSecurity.plan(isolators: [try iso(AppSecurity.capsRetain, #"{"set":["CAP_NET_ADMIN"]}"#)],
                                     uid: 0, disableCapabilities: false, disableSeccomp: false)
        #expect(r.capabilities == ["CAP_NET_ADMIN"])
        let m = try AppSecurity.plan(isolators: [try iso(AppSecurity.capsRemove, #"{"set":["CAP_CHOWN","CAP_SYS_ADMIN"]}"#)],
                                     uid: 0, disableCapabilities: false, disableSeccomp: false)
        #expect(m.capabilities?.count == 13)
        #expect(m.capabilities?.contains("CAP_CHOWN") == false)
    }

    @Test("retain and remove together, an unknown capability and an empty set are errors")
    func capabilityErrors() throws {
        let both = [try iso(AppSecurity.capsRetain, #"{"set":["CAP_KILL"]}"#), try iso(AppSecurity.capsRemove, #"{"set":["CAP_KILL"]}"#)]
        #expect(throws: RktError.self) { try AppSecurity.plan(isolators: both, uid: 0, disableCapabilities: false, disableSeccomp: false) }
        let unknown = [try iso(AppSecurity.capsRetain, #"{"set":["CAP_BOGUS"]}"#)]
        #expect(throws: RktError.self) { try AppSecurity.plan(isolators: unknown, uid: 0, disableCapabilities: false, disableSeccomp: false) }
        let empty = [try iso(AppSecurity.capsRetain, #"{"set":[]}"#)]
        #expect(throws: RktError.self) { try AppSecurity.plan(isolators: empty, uid: 0, disableCapabilities: false, disableSeccomp: false) }
    }

    @Test("a seccomp remove set with errno becomes a blacklist; retain @appc.io/all disables the filter")
    func seccompSets() throws {
        let rm = try AppSecurity.plan(isolators: [try iso(AppSecurity.seccompRemove, #"{"set":["stat","newfstatat"],"errno":"EXFULL"}"#)],
                                      uid: 0, disableCapabilities: false, disableSeccomp: false)
        #expect(rm.seccomp == SeccompFilter(mode: .blacklist, syscalls: ["stat", "newfstatat"], errno: 54))
        let all = try AppSecurity.plan(isolators: [try iso(AppSecurity.seccompRetain, #"{"set":["@appc.io/all"]}"#)],
                                       uid: 1000, disableCapabilities: false, disableSeccomp: false)
        #expect(all.seccomp == nil)
        #expect(all.noNewPrivileges == false)
    }

    @Test("a non-root app with a seccomp filter is forced to no-new-privileges")
    func nnpForced() throws {
        let s = try AppSecurity.plan(isolators: [], uid: 1000, disableCapabilities: false, disableSeccomp: false)
        #expect(s.noNewPrivileges)
        let off = try AppSecurity.plan(isolators: [], uid: 1000, disableCapabilities: true, disableSeccomp: true)
        #expect(off.noNewPrivileges == false)
        #expect(off.capabilities == nil)
        #expect(off.seccomp == nil)
    }

    @Test("capability masks follow the kernel numbering")
    func masks() throws {
        #expect(try Capabilities.mask(["CAP_CHOWN", "CAP_KILL"]) == (1 << 0) | (1 << 5))
        #expect(try Capabilities.mask(Capabilities.defaultSet) == 0xa80425fb)
        #expect(Capabilities.names(0xa80425fb).first == "chown")
    }
}

@Suite("stage1 app environment")
struct AppEnvironmentTests {
    @Test("defaults are added after the app environment and AC_APP_NAME, never overriding it")
    func defaults() {
        let env = AppEnvironment.build(app: "web", env: [EnvironmentVariable(name: "HOME", value: "/srv"), EnvironmentVariable(name: "FOO", value: "1")])
        #expect(env == ["HOME=/srv", "FOO=1", "AC_APP_NAME=web", "PATH=\(AppEnvironment.defaultPath)",
                        "SHELL=/bin/sh", "USER=root", "LOGNAME=root"])
        #expect(AppEnvironment.parseFile(AppEnvironment.file(env)) == env)
    }

    @Test("user and group may be numbers, names in the image, or paths whose owner counts, unshifted")
    func credentials() throws {
        let tmp = try FlyTempDir()
        defer { tmp.cleanup() }
        let root = tmp.sub("rootfs")
        try FileSystem.mkdirAll(root + "/etc")
        try FileIO.writeFile(root + "/etc/passwd", "web:x:33:33::/:/bin/sh\n")
        try FileIO.writeFile(root + "/etc/group", "www:x:44:\n")
        try FileIO.writeFile(root + "/owned", "")
        try FileSystem.chown(root + "/owned", uid: 100_005, gid: 100_007)
        // A link climbing out of the rootfs is followed inside it (on the host /owned is missing).
        try FileSystem.symlink(target: "/../../../owned", at: root + "/owned-link")
        let named = try AppEnvironment.credentials(rootfs: root, user: "web", group: "www", supplementary: [5])
        #expect(named == Credentials(uid: 33, gid: 44, groups: [5]))
        let owner = try AppEnvironment.credentials(rootfs: root, user: "/owned", group: "/owned", supplementary: [])
        #expect(owner.uid == 100_005 && owner.gid == 100_007)
        let shifted = try AppEnvironment.credentials(rootfs: root, user: "/owned", group: "/owned", supplementary: [], idShift: 100_000)
        #expect(shifted.uid == 5 && shifted.gid == 7)
        #expect(try AppEnvironment.credentials(rootfs: root, user: "/owned-link", group: "0", supplementary: []).uid == 100_005)
        #expect(throws: RktError.self) { try AppEnvironment.credentials(rootfs: root, user: "/missing", group: "0", supplementary: []) }
        #expect(throws: RktError.self) { try AppEnvironment.credentials(rootfs: root, user: "nobody", group: "0", supplementary: []) }
    }
}

@Suite("stage1 mount planning")
struct MountPlanTests {
    func app(_ mounts: [(String, String)], mountPoints: [MountPoint] = [], readOnly: Bool = false) -> RuntimeAppSpec {
        var a = App()
        a.exec = ["/bin/true"]
        a.mountPoints = mountPoints
        var ra = RuntimeAppSpec(name: "app", app: a)
        ra.mounts = mounts.map { Mount(volume: $0.0, path: $0.1) }
        ra.readOnlyRootFS = readOnly
        return ra
    }

    func input(_ app: RuntimeAppSpec, _ volumes: [Volume], mask: Bool = true) -> MountPlanInput {
        MountPlanInput(app: app, volumes: volumes, sharedVolumesDir: "/pod/sharedVolumes", hostsFile: "/s1/etc/rkt-hosts",
                       resolvFile: nil, hostnameFile: "/s1/etc/hostname", imageHasHosts: false, maskPaths: mask)
    }

    @Test("host volumes are rbind by default, plain bind with recursive=false, and honour readOnly")
    func hostVolumes() throws {
        let v1 = Volume.host("data", source: "/srv/data")
        let v2 = Volume.host("logs", source: "/var/log", readOnly: true, recursive: false)
        let steps = try MountPlan.plan(input(app([("data", "/data"), ("logs", "/logs")]), [v1, v2]))
        #expect(steps.contains(.bind(source: "/srv/data", target: "/data", recursive: true, readOnly: false)))
        #expect(steps.contains(.bind(source: "/var/log", target: "/logs", recursive: false, readOnly: true)))
    }

    @Test("empty volumes come from sharedVolumes and unfulfilled mount points get implicit ones")
    func emptyVolumes() throws {
        let mp = MountPoint(name: "cache", path: "/var/cache", readOnly: false)
        let steps = try MountPlan.plan(input(app([("scratch", "/tmp/x")], mountPoints: [mp]), [Volume.empty("scratch")]))
        #expect(steps.contains(.bind(source: "/pod/sharedVolumes/scratch", target: "/tmp/x", recursive: false, readOnly: false)))
        #expect(steps.contains(.bind(source: "/pod/sharedVolumes/app-cache", target: "/var/cache", recursive: false, readOnly: false)))
    }

    @Test("an image mount point takes the pod volume of its name; a RuntimeApp mount at its path wins")
    func mountPointsByName() throws {
        let data = MountPoint(name: "data", path: "/var/data", readOnly: true)
        let logs = MountPoint(name: "logs", path: "/var/log", readOnly: false)
        let vols = [Volume.host("data", source: "/srv/data"), Volume.host("logs", source: "/srv/logs"),
                    Volume.host("other", source: "/srv/other", readOnly: false)]
        let steps = try MountPlan.plan(input(app([("other", "/var/log")], mountPoints: [data, logs]), vols))
        #expect(steps.contains(.bind(source: "/srv/data", target: "/var/data", recursive: true, readOnly: true)))
        #expect(steps.contains(.bind(source: "/srv/other", target: "/var/log", recursive: true, readOnly: false)))
        #expect(!steps.contains { if case .bind("/srv/logs", _, _, _) = $0 { return true } else { return false } })
        #expect(MountPlan.implicitVolumes(app([], mountPoints: [data]), volumes: vols).isEmpty)
    }

    @Test("/dev/console comes from the console source; /proc/sys is read-only except a private netns's net")
    func consoleAndProcSys() throws {
        var i = input(app([]), [])
        i.consoleSource = "/dev/pts/7"
        i.privateNetwork = true
        let steps = try MountPlan.plan(i)
        #expect(steps.contains(.bind(source: "/dev/pts/7", target: "/dev/console", recursive: false, readOnly: false)))
        let ro = steps.firstIndex(of: .readOnly(target: "/proc/sys"))
        let rw = steps.firstIndex(of: .writable(target: "/proc/sys/net"))
        #expect(ro != nil && rw != nil && ro! < rw!)
        let host = try MountPlan.plan(input(app([]), []))
        #expect(host.contains(.readOnly(target: "/proc/sys")) && !host.contains(.writable(target: "/proc/sys/net")))
        #expect(host.contains(.bind(source: "/dev/null", target: "/dev/console", recursive: false, readOnly: false)))
    }

    @Test("a plan made without resolv.conf, split where it goes, puts the bind back at its place: after the hosts file, before hostname and volumes")
    func resolvConfSplit() throws {
        let a = app([("data", "/etc/data")], readOnly: true)
        let vols = [Volume.host("data", source: "/srv/data")]
        var with = input(a, vols)
        with.resolvFile = "/s1/etc/rkt-resolv.conf"
        let full = try MountPlan.plan(with)
        let without = try MountPlan.plan(input(a, vols))
        let cut = MountPlan.resolvConfIndex(without)
        #expect(cut < without.count)
        let rebuilt = Array(without[..<cut]) + MountPlan.resolvConfSteps(with.resolvFile) + Array(without[cut...])
        #expect(rebuilt == full)
        let resolv = MountStep.bind(source: "/s1/etc/rkt-resolv.conf", target: "/etc/resolv.conf", recursive: false, readOnly: false)
        let at = try #require(full.firstIndex(of: resolv))
        #expect(full.firstIndex(of: .bind(source: "/s1/etc/rkt-hosts", target: "/etc/hosts", recursive: false, readOnly: false))! < at)
        #expect(at < full.firstIndex(of: .bind(source: "/srv/data", target: "/etc/data", recursive: true, readOnly: false))!)
        #expect(full.last == .readOnlyRoot)
        #expect(MountPlan.resolvConfSteps(nil).isEmpty)
    }

    @Test("a mount naming a missing volume is an error")
    func missingVolume() {
        #expect(throws: RktError.self) { try MountPlan.plan(input(app([("nope", "/x")]), [])) }
    }

    @Test("kernel paths are masked unless disabled, and --readonly-rootfs comes last")
    func masking() throws {
        let masked = try MountPlan.plan(input(app([], readOnly: true), []))
        #expect(masked.contains(.readOnly(target: "/proc/sysrq-trigger")))
        #expect(masked.contains(.hide(target: "/proc/kcore")))
        #expect(masked.last == .readOnlyRoot)
        let open = try MountPlan.plan(input(app([]), [], mask: false))
        #expect(!open.contains(.readOnly(target: "/proc/sysrq-trigger")))
        #expect(!open.contains(.readOnlyRoot))
        #expect(open.contains(.bind(source: "/s1/etc/rkt-hosts", target: "/etc/hosts", recursive: false, readOnly: false)))
    }
}

@Suite("stage1 cgroups")
struct CgroupPlanTests {
    @Test("the pod cgroup is the escaped machine scope")
    func podPath() {
        #expect(Cgroup.podPath(uuid: "ab-cd") == #"machine.slice/machine-rkt\x2dab\x2dcd.scope"#)
    }

    @Test("v1 hierarchies are found in mountinfo, v2 when /sys/fs/cgroup is cgroup2")
    func detection() {
        let v1 = """
            32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
            35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
            """
        let h = CgroupHost.parse(mountinfo: v1)
        #expect(h.unifiedRoot == nil)
        #expect(h.v1Mounts["memory"] == "/sys/fs/cgroup/memory")
        #expect(h.directories("x") == ["/sys/fs/cgroup/systemd/x", "/sys/fs/cgroup/memory/x", "/sys/fs/cgroup/cpu/x"])
        let v2 = CgroupHost.parse(mountinfo: "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw")
        #expect(v2.unifiedRoot == "/sys/fs/cgroup")
    }

    @Test("memory, cpu quota, cpu-shares and oom-score-adj isolators become limits")
    func limits() throws {
        let isolators = [
            Isolator(name: "resource/memory", value: try parseJSON(#"{"limit":"64Mi"}"#)),
            Isolator(name: "resource/cpu", value: try parseJSON(#"{"limit":"500m"}"#)),
            Isolator(name: "os/linux/cpu-shares", value: 512),
            Isolator(name: "os/linux/oom-score-adj", value: -100),
        ]
        let l = try CgroupLimits.plan(isolators)
        #expect(l.memoryBytes == 67_108_864)
        #expect(l.cpuQuotaMicros == 50_000)
        #expect(l.cpuShares == 512)
        #expect(l.oomScoreAdj == -100)
        #expect(throws: RktError.self) {
            try CgroupLimits.plan([Isolator(name: "resource/cpu", value: try parseJSON(#"{"limit":"5m"}"#))])
        }
    }

    @Test("quantities round up like the appc library", arguments: [
        ("128974848", Int64(128_974_848)), ("125952Ki", 128_974_848), ("123Mi", 128_974_848), ("1.5Gi", 1_610_612_736), ("1k", 1000),
    ])
    func quantities(_ text: String, _ value: Int64) throws {
        #expect(try Quantity(text).value == value)
    }
}

@Suite("stage1 run flags")
struct RunOptionsTests {
    @Test("rkt's run argv parses and the pod-init round trip keeps every field")
    func roundTrip() throws {
        let o = try RunOptions.parse(["--debug", "--net=none", "--hostname=h", "--ipc=parent",
                                      "--dns-conf-mode=resolv=host,hosts=stage0", "--disable-seccomp", "uuid-1"])
        #expect(o.uuid == "uuid-1")
        #expect(o.net == ["none"])
        #expect(o.podHostname == "h")
        #expect(o.ipc == "parent")
        #expect(o.resolvMode == "host" && o.hostsMode == "stage0")
        #expect(o.disableSeccomp && !o.disablePaths)
        #expect(try RunOptions.parse(o.arguments) == o)
        #expect(try RunOptions.parse(["u2"]).podHostname == "rkt-u2")
    }
}

@Suite("stage1 pod manifest")
struct PodSpecTests {
    static let image = ImageManifest(name: "example.com/img", app: App(exec: ["/from-image"], user: "1", group: "2"))

    @Test("an app without its own section runs its image manifest's app; one with a section runs that")
    func imageDefaults() throws {
        let json = #"""
            {"acVersion":"0.8.11","acKind":"PodManifest","apps":[
              {"name":"a","image":{"id":"sha512-00"}},
              {"name":"b","image":{"id":"sha512-00"},"app":{"exec":["/own"],"user":"0","group":"0"},
               "readOnlyRootFS":true,"mounts":[{"volume":"v","path":"/v"}],
               "annotations":[{"name":"coreos.com/rkt/stage2/stdout","value":"log"}]}],
             "volumes":[{"name":"v","kind":"empty"}]}
            """#
        var asked: [String] = []
        let spec = try PodSpec.parse(Array(json.utf8)) { name in asked.append(name); return Self.image }
        #expect(asked == ["a"])
        #expect(spec.apps.map(\.app.exec) == [["/from-image"], ["/own"]])
        #expect(spec.apps[0].app.user == "1")
        #expect(spec.apps[1].readOnlyRootFS && !spec.apps[0].readOnlyRootFS)
        #expect(spec.apps[1].mounts == [Mount(volume: "v", path: "/v")])
        #expect(spec.apps[1].annotation(RktAnnotation.stdout) == "log")
        #expect(spec.volumes.first?.mode == "0755")
    }

    @Test("a manifest that is not a pod manifest is rejected")
    func wrongKind() {
        #expect(throws: RktError.self) {
            try PodSpec.parse(Array(#"{"acVersion":"0.8.11","acKind":"ImageManifest","name":"x"}"#.utf8)) { _ in Self.image }
        }
    }
}
