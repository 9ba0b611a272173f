import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The full stage1 on cgroup v2. CI's host is v1 with a hybrid cgroup2 mount, so rkt runs in a
/// private mount namespace whose /sys/fs/cgroup is the cgroup2 hierarchy alone, as on a pure v2
/// host: stage1 detects v2 and puts the pod into the real unified hierarchy. The host's mount
/// table is untouched; the cgroups live in the real hierarchy and gc removes them.
@Suite("full stage1 on cgroup v2")
struct Stage1CgroupV2Tests {
    /// `rkt <global flags> args` with only cgroup2 at /sys/fs/cgroup.
    static func rktOnV2(_ env: RktTestEnv, _ args: [String]) throws -> CommandResult {
        let script = "umount -l /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec \"$@\""
        return try runCommand("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c", script, "v2",
                                                   RktBuild.rkt] + env.globalFlags + args, timeout: 120)
    }

    /// Where the host mounts the cgroup2 hierarchy (`/sys/fs/cgroup/unified` on a hybrid host).
    static func hostUnified() -> String? {
        let text = readProcFile("/proc/self/mountinfo") ?? ""
        for line in text.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            let left = halves[0].split(separator: " ")
            if halves.count == 2, halves[1].hasPrefix("cgroup2 "), left.count > 4 { return String(left[4]) }
        }
        return nil
    }

    @Test("a pod on cgroup v2 gets a leaf per app and one for pod-init under its scope, all removed by gc")
    func podOnV2() throws {
        let env = try Stage1FullTests.fullEnv()
        let unified = Self.hostUnified()
        let uuidFile = env.tmpDir + "/uuid"
        var scope = ""
        defer {
            _ = try? Self.rktOnV2(env, ["gc", "--grace-period=0s"])
            if let unified, !scope.isEmpty { _ = try? runCommand("/bin/sh", ["-c", "rmdir \"$0\"/* \"$0\"", unified + scope]) }
            env.cleanup()
        }
        #expect(unified != nil, "the host has no cgroup2 mount")
        let img = try TestImages.busybox()
        let r = try Self.rktOnV2(env, ["run", env.stage1Flag, "--net=host", "--uuid-file-save=" + uuidFile,
                                       img, "--name=web", "--memory=64Mi", "--exec=/bin/cat", "--", "/proc/self/cgroup",
                                       "---", img, "--name=db", "--exec=/bin/cat", "--", "/proc/self/cgroup"])
        #expect(r.exit == 0, "\(r)")
        let uuid = Stage1VolumeTests.uuid(uuidFile)
        scope = "/machine.slice/machine-rkt\\x2d" + uuid.replacingOccurrences(of: "-", with: "\\x2d") + ".scope"
        #expect(r.stdout.contains("0::\(scope)/web\n") && r.stdout.contains("0::\(scope)/db\n"), "\(r)")
        guard let unified, !uuid.isEmpty else { return }
        let dir = unified + scope
        #expect(FileManager.default.fileExists(atPath: dir + "/_pod-init"), "pod-init's own leaf")
        // The memory limit is set where the host delegates the controller, else rkt's warning.
        let controllers = (try? String(contentsOfFile: dir + "/web/cgroup.controllers", encoding: .utf8)) ?? ""
        if controllers.split(whereSeparator: \.isWhitespace).contains("memory") {
            #expect((try? String(contentsOfFile: dir + "/web/memory.max", encoding: .utf8)) == "67108864\n")
        } else {
            #expect(r.stderr.contains("resource/memory isolator set but support disabled in the kernel"), "\(r)")
        }
        let gc = try Self.rktOnV2(env, ["gc", "--grace-period=0s"])
        #expect(gc.exit == 0, "\(gc)")
        #expect(!FileManager.default.fileExists(atPath: dir), "gc removed \(dir)")
    }
}
