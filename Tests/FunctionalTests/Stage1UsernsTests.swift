import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `--private-users` with the full stage1 (issue #4 "Sandbox"; rkt_userns_test, P1-25): a random
/// uid/gid shift recorded in the pod directory, the rootfs shifted to match, uid 0 in the pod
/// mapped to the shift on the host, and nothing left after gc.
@Suite("full stage1 user namespaces")
struct Stage1UsernsTests {
    @Test("--private-users maps the pod's root to a random shifted range and the rootfs matches it")
    func privateUsers() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let uuidFile = env.tmpDir + "/uuid"
        let r = env.run(["--net=host", "--private-users", "--no-overlay", "--uuid-file-save=" + uuidFile, img, "--exec=/bin/sh", "--", "-c",
                         "cat /proc/self/uid_map /proc/self/gid_map; echo id=$(id -u):$(id -g); stat -c owner=%u:%g /; stat -c owner=%u:%g /etc/passwd; echo hi > /tmp/new; stat -c new=%u:%g /tmp/new; cat /proc/1/uid_map | sed s/^/pid1/"])
        #expect(r.exit == 0, "\(r)")
        let uuid = ((try? String(contentsOfFile: uuidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let maps = r.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }.filter { $0.count == 3 }
        #expect(maps.count == 2, "\(r)")
        let shift = maps.first.flatMap { UInt32($0[1]) } ?? 0
        #expect(maps.allSatisfy { $0[0] == "0" && $0[1] == String(shift) && $0[2] == "65536" }, "\(r)")
        #expect(shift >= 65536 && shift % 65536 == 0, "\(r)")
        #expect(r.stdout.contains("id=0:0"), "\(r)")
        #expect(r.stdout.contains("owner=0:0\nowner=0:0\n"), "\(r)")
        #expect(r.stdout.contains("new=0:0"), "\(r)")
        // pod-init (pid 1) itself runs in the pod's user namespace.
        let pid1 = r.stdout.split(separator: "\n").first { $0.hasPrefix("pid1") }?.split(separator: " ").map(String.init)
        #expect(pid1 == ["pid1", "0", String(shift), "65536"], "\(r)")

        // The host sees the same files owned by the shift, and the shift is recorded in the pod.
        let pods = env.dataDir + "/pods"
        let podDir = ["run", "exited-garbage", "garbage"].map { "\(pods)/\($0)/\(uuid)" }.first { FileManager.default.fileExists(atPath: $0) } ?? ""
        let recorded = (try? String(contentsOfFile: podDir + "/private-users-prepared", encoding: .utf8)) ?? ""
        #expect(recorded == "\(shift):65536", "recorded \(recorded) in \(podDir)")
        var st = stat()
        #expect(stat(podDir + "/stage1/rootfs/opt/stage2/rkt-busybox/rootfs/tmp/new", &st) == 0 && st.st_uid == shift && st.st_gid == shift)
        let sub = (try? String(contentsOfFile: podDir + "/subcgroup", encoding: .utf8)) ?? ""
        #expect(!sub.isEmpty)

        let gc = env.rkt(["gc", "--grace-period=0s"])
        #expect(gc.exit == 0, "\(gc)")
        #expect(!FileManager.default.fileExists(atPath: podDir))
        #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/" + sub))
        #expect(mountsUnder(env.root).isEmpty)

        // A failing app in a user-namespaced pod still decides rkt's exit status.
        let failing = env.run(["--net=host", "--private-users", "--no-overlay", img, "--exec=/bin/sh", "--", "-c", "exit 3"])
        #expect(failing.exit == 3, "\(failing)")
    }

    @Test("a host volume below a directory the shifted root cannot search still reaches a --private-users pod")
    func hostVolume() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        _ = try env.writeFile("private/vol/hello.txt", "from-host\n")
        chmod(env.tmpDir + "/private", 0o700)
        let r = env.run(["--net=host", "--private-users", "--no-overlay", "--volume=data,kind=host,source=\(env.tmpDir)/private/vol",
                         img, "--mount=volume=data,target=/data", "--exec=/bin/sh", "--", "-c", "cat /data/hello.txt; stat -c owner=%u /data/hello.txt"])
        #expect(r.exit == 0, "\(r)")
        // Host root's file, seen from the pod's user namespace as the overflow uid.
        #expect(r.stdout.contains("from-host\nowner=65534"), "\(r)")
        let gc = env.rkt(["gc", "--grace-period=0s"])
        #expect(gc.exit == 0 && mountsUnder(env.root).isEmpty, "\(gc)")
    }

    @Test("when pod init fails in a --private-users pod, rkt run exits non-zero and gc cleans up")
    func podInitFailure() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        _ = try env.writeFile("vol/hello.txt", "from-host\n")
        // A mount target below a regular file: pod-init cannot create it.
        let r = env.run(["--net=host", "--private-users", "--no-overlay", "--volume=data,kind=host,source=\(env.tmpDir)/vol",
                         img, "--mount=volume=data,target=/etc/passwd/data", "--exec=/bin/true"])
        #expect(r.exit == 254, "\(r)")
        #expect(r.stderr.contains("stage1:") && r.stderr.contains("not a directory"), "\(r)")
        let gc = env.rkt(["gc", "--grace-period=0s"])
        #expect(gc.exit == 0, "\(gc)")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: env.dataDir + "/pods/exited-garbage")) ?? []
        #expect(left.isEmpty && mountsUnder(env.root).isEmpty)
    }
}
