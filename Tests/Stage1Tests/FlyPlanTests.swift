import RktCommon
import RktOS
import Stage1Fly
import Testing

@Suite("Fly mount and credential planning")
struct FlyPlanTests {
    static let rootfs = "/pod/stage1/rootfs/opt/stage2/app/rootfs"

    static func app(mounts: [Mount] = [], mountPoints: [MountPoint] = []) -> RuntimeApp {
        var a = App(exec: ["/bin/sh"], user: "0", group: "0")
        a.mountPoints = mountPoints
        return RuntimeApp(name: "app", image: RuntimeImage(id: "sha512-x"), app: a, mounts: mounts)
    }

    @Test("base mounts make /dev, /proc, /sys rshared, rbind them and put a tmpfs on /tmp")
    func base() {
        let b = FlyMountPlan.base(rootfs: Self.rootfs)
        #expect(b.count == 7)
        #expect(b[0] == FlyMount("", "", "/dev", "none", [.rec, .shared]))
        #expect(b[1] == FlyMount("/dev", Self.rootfs, "/dev", "none", [.bind, .rec]))
        #expect(b[6] == FlyMount("tmpfs", Self.rootfs, "/tmp", "tmpfs", []))
    }

    @Test("volumes: non-recursive by default, read-only remounts every submount when recursive, host mount points made rshared")
    func volumes() throws {
        let vols = [Volume.host("a", source: "/srv", readOnly: true, recursive: true), Volume.host("b", source: "/data")]
        let plan = try FlyMountPlan.volumes(
            app: Self.app(mounts: [Mount(volume: "a", path: "/mnt/a"), Mount(volume: "b", path: "/b")]),
            imageApp: nil, volumes: vols, rootfs: Self.rootfs, podDir: "/pod",
            hostMounts: { ["/", "/srv", "/srv/x", "/srvother", "/srv/x/y"] })
        #expect(plan == [
            FlyMount("", "", "/srv", "none", [.rec, .shared]),
            FlyMount("/srv", Self.rootfs, "/mnt/a", "none", [.bind, .rec]),
            FlyMount("", Self.rootfs, "/mnt/a", "none", [.bind, .rec, .remount, .readOnly]),
            FlyMount("", Self.rootfs, "/mnt/a/x", "none", [.bind, .rec, .remount, .readOnly]),
            FlyMount("", Self.rootfs, "/mnt/a/x/y", "none", [.bind, .rec, .remount, .readOnly]),
            FlyMount("/data", Self.rootfs, "/b", "none", [.bind]),
        ])
    }

    @Test("an app without mounts does not read the host's mount table")
    func noMountsNoTable() throws {
        var read = false
        let plan = try FlyMountPlan.volumes(app: Self.app(), imageApp: nil, volumes: [], rootfs: Self.rootfs, podDir: "/pod",
                                            hostMounts: { read = true; return ["/"] })
        #expect(plan.isEmpty)
        #expect(!read)
    }

    @Test("image mount points supply paths and the read-only default; empty volumes live in sharedVolumes")
    func mountPoints() throws {
        let image = App(exec: ["/x"], user: "0", group: "0", mountPoints: [MountPoint(name: "e", path: "/data", readOnly: true)])
        let plan = try FlyMountPlan.volumes(app: Self.app(), imageApp: image, volumes: [Volume.empty("e", mode: "0700", uid: 5, gid: 6)],
                                            rootfs: Self.rootfs, podDir: "/pod", hostMounts: { [] })
        #expect(plan.map(\.relTarget) == ["/data", "/data"])
        #expect(plan[0].hostPath == "/pod/sharedVolumes/e")
        #expect(plan[1].flags.contains(.readOnly))
        #expect(FlyMountPlan.emptyVolumes([Volume.empty("e", mode: "0700", uid: 5, gid: 6)], podDir: "/pod")
            == [FlyEmptyVolume(path: "/pod/sharedVolumes/e", mode: 0o700, uid: 5, gid: 6)])
    }

    @Test("rkt's volume errors: duplicate mounts, conflicting paths, missing mounts and volumes")
    func volumeErrors() {
        func err(_ body: () throws -> [FlyMount]) -> String? {
            do { _ = try body(); return nil } catch { return (error as? RktError)?.message }
        }
        #expect(err { try FlyMountPlan.volumes(app: Self.app(mounts: [Mount(volume: "a", path: "/a"), Mount(volume: "a", path: "/b")]),
                                               imageApp: nil, volumes: [], rootfs: Self.rootfs, podDir: "/pod", hostMounts: { [] }) }
            == "duplicate mount given: \"a\"")
        #expect(err { try FlyMountPlan.volumes(app: Self.app(mounts: [Mount(volume: "a", path: "/a")],
                                                             mountPoints: [MountPoint(name: "a", path: "/other")]),
                                               imageApp: nil, volumes: [], rootfs: Self.rootfs, podDir: "/pod", hostMounts: { [] }) }
            == "conflicting path information from mount and mountpoint \"a\"")
        #expect(err { try FlyMountPlan.volumes(app: Self.app(), imageApp: nil, volumes: [Volume.host("v", source: "/x")],
                                               rootfs: Self.rootfs, podDir: "/pod", hostMounts: { [] }) }
            == "missing mount for volume \"v\"")
    }

    @Test("DNS modes: host binds host files really read-only (bind then remount), stage0 hosts binds rkt-hosts, default adds nothing")
    func dns() {
        #expect(FlyMountPlan.dns(DNSConfMode(), rootfs: "/r", stage1Rootfs: "/s").isEmpty)
        #expect(FlyMountPlan.dns(DNSConfMode(resolv: "host", hosts: "stage0"), rootfs: "/r", stage1Rootfs: "/s") == [
            FlyMount("/etc/resolv.conf", "/r", "/etc/resolv.conf", "none", [.bind, .readOnly]),
            FlyMount("", "/r", "/etc/resolv.conf", "none", [.bind, .remount, .readOnly]),
            FlyMount("/s/etc/rkt-hosts", "/r", "/etc/hosts", "none", [.bind, .readOnly]),
            FlyMount("", "/r", "/etc/hosts", "none", [.bind, .remount, .readOnly]),
        ])
    }

    @Test("the environment gets fly's default PATH only when the app has none")
    func environment() {
        var a = App(exec: ["/x"], user: "0", group: "0")
        a.environment = [EnvironmentVariable(name: "A", value: "1")]
        #expect(FlyEnvironment.build(a).map(\.name) == ["PATH", "A"])
        a.environment.append(EnvironmentVariable(name: "PATH", value: "/opt/bin"))
        #expect(FlyEnvironment.build(a).map(\.value) == ["1", "/opt/bin"])
        #expect(FlyEnter.environment(envFile: ["A=1", "TERM=dumb"], callerTerm: nil) == ["A=1", "TERM=vt100"])
    }
}
