import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The full Swift stage1 (`stage1.aci`) end to end through `rkt run --net=host`
/// (rkt-functional-tests.md P1-01…P1-09 and the pod lifecycle), with the `inspect` and busybox
/// test images.
@Suite("full stage1")
struct Stage1FullTests {
    static func fullEnv() throws -> RktTestEnv {
        let env = try RktTestEnv()
        env.stage1 = .full
        return env
    }

    static func inspect(_ env: RktTestEnv, _ args: [String], flags: [String] = [], runFlags: [String] = []) throws -> CommandResult {
        let img = try TestImages.inspect()
        return env.run(["--net=host"] + runFlags + [img] + flags + ["--exec=/inspect", "--"] + args)
    }

    @Test("the app sees pod-init as pid 1 and the pod hostname rkt-<uuid>")
    func pidAndHostname() throws {
        let env = try Self.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let r = env.run(["--net=host", img, "--exec=/bin/sh", "--", "-c", "echo pid1=$(cat /proc/1/comm); hostname"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("pid1="), "\(r)")
        #expect(r.stdout.range(of: #"rkt-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"#, options: .regularExpression) != nil, "\(r)")
        let named = env.run(["--net=host", "--hostname=custom-host", img, "--exec=/bin/hostname"])
        #expect(named.stdout.contains("custom-host"), "\(named)")
        // pod-init writes the apps' hostname and hosts sources to a tmpfs, not into the stage1
        // rootfs: the stage1 overlay's upper directory gets no etc/ (no copy-up, no new inodes).
        let fm = FileManager.default
        var checked = 0
        for state in try fm.contentsOfDirectory(atPath: env.dataDir + "/pods") {
            for uuid in (try? fm.contentsOfDirectory(atPath: "\(env.dataDir)/pods/\(state)")) ?? [] {
                let pod = "\(env.dataDir)/pods/\(state)/\(uuid)"
                guard let s1 = try? String(contentsOfFile: pod + "/stage1TreeStoreID", encoding: .utf8) else { continue }
                let upper = "\(pod)/overlay/\(s1.trimmingCharacters(in: .whitespacesAndNewlines))/upper"
                #expect(fm.fileExists(atPath: upper + "/rkt/status"), "\(upper)")
                #expect(!fm.fileExists(atPath: upper + "/etc"), "\((try? fm.contentsOfDirectory(atPath: upper + "/etc")) ?? [])")
                checked += 1
            }
        }
        #expect(checked == 2)
    }

    @Test("--user/--group and supplementary groups are applied inside the pod")
    func credentials() throws {
        let env = try Self.fullEnv()
        defer { env.cleanup() }
        let r = try Self.inspect(env, ["--print-user", "--print-groups"], flags: ["--user=1000", "--group=1000"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("User: uid=1000 euid=1000 gid=1000 egid=1000"), "\(r)")
    }

    @Test("the default bounding set is appc's 14 capabilities and --caps-retain replaces it")
    func capabilities() throws {
        let env = try Self.fullEnv()
        defer { env.cleanup() }
        let r = try Self.inspect(env, ["--print-caps-pid=0"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("Capability set: bounding: chown, dac_override, fowner, fsetid, kill, setgid, setuid, setpcap, net_bind_service, net_raw, sys_chroot, mknod, audit_write, setfcap"), "\(r)")
        let retained = try Self.inspect(env, ["--print-caps-pid=0"], flags: ["--caps-retain=CAP_NET_ADMIN"])
        #expect(retained.stdout.contains("Capability set: bounding: net_admin"), "\(retained)")
    }

    @Test("a seccomp remove set with errno makes the syscall fail and rkt exit 254")
    func seccomp() throws {
        let env = try Self.fullEnv()
        defer { env.cleanup() }
        let r = try Self.inspect(env, ["--file-name=/", "--stat-file"],
                                 flags: ["--seccomp=mode=remove,errno=EXFULL,stat,lstat,newfstatat,statx,fstatat64"])
        #expect(r.exit == 254, "\(r)")
        #expect((r.stdout + r.stderr).lowercased().contains("exchange full"), "\(r)")
        let ok = try Self.inspect(env, ["--file-name=/", "--stat-file"])
        #expect(ok.exit == 0, "\(ok)")
    }

    @Test("no-new-privileges is off for a root app by default and forced for a non-root one with seccomp")
    func noNewPrivs() throws {
        let env = try Self.fullEnv()
        defer { env.cleanup() }
        let root = try Self.inspect(env, ["--print-no-new-privs"])
        #expect(root.stdout.contains("no_new_privs: 0"), "\(root)")
        let user = try Self.inspect(env, ["--print-no-new-privs"], flags: ["--user=1000", "--group=100"])
        #expect(user.stdout.contains("no_new_privs: 1"), "\(user)")
    }

    @Test("a memory limit is written to the app's cgroup and readable from inside")
    func memoryLimit() throws {
        let env = try Self.fullEnv()
        defer { env.cleanup() }
        let r = try Self.inspect(env, ["--print-memorylimit"], flags: ["--memory=42Mi", "--caps-retain=CAP_SYS_PTRACE"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("Memory Limit: 44040192"), "\(r)")
    }

    @Test("in a three-app pod the first failing app decides rkt's exit status")
    func firstFailingApp() throws {
        let env = try Self.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let r = env.run(["--net=host",
                         img, "--name=slow", "--exec=/bin/sh", "--", "-c", "sleep 30", "---",
                         img, "--name=fails", "--exec=/bin/sh", "--", "-c", "sleep 1; exit 5", "---",
                         img, "--name=later", "--exec=/bin/sh", "--", "-c", "sleep 3; exit 9"], timeout: 60)
        #expect(r.exit == 5, "\(r)")
    }

    @Test("--net=none leaves the pod with only a loopback interface")
    func netNone() throws {
        let env = try Self.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let r = env.run(["--net=none", img, "--exec=/bin/sh", "--", "-c", "tail -n +3 /proc/net/dev | wc -l"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "\(r)")
    }

    @Test("after SIGKILL of the pod's init, rkt gc leaves no process, cgroup or mount behind")
    func killedPodIsCollected() throws {
        let env = try Self.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let p = try env.spawn(["run", env.stage1Flag, "--net=host", img, "--exec=/bin/sh", "--", "-c", "echo started; sleep 300"])
        #expect(p.waitForOutput("started"), "pod did not start")
        let pods = (try? FileManager.default.contentsOfDirectory(atPath: env.dataDir + "/pods/run")) ?? []
        let podDir = env.dataDir + "/pods/run/" + (pods.first ?? "")
        let pid = Int32((try? String(contentsOfFile: podDir + "/pid", encoding: .utf8)) ?? "") ?? 0
        let sub = (try? String(contentsOfFile: podDir + "/subcgroup", encoding: .utf8)) ?? ""
        #expect(pid > 0)
        kill(pid, SIGKILL)
        _ = p.wait(timeout: 30)
        let gc = env.rkt(["gc", "--grace-period=0s"])
        #expect(gc.exit == 0, "\(gc)")
        #expect(kill(pid, 0) != 0)
        #expect(!sub.isEmpty && !FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/" + sub))
        #expect(env.cleanup().isEmpty)
    }

    @Test("each app has its own mount namespace, not stage1's pid 1's (rkt_mountns_test)")
    func mountNamespace() throws {
        let env = try Self.fullEnv()
        defer { env.cleanup() }
        let r = try Self.inspect(env, ["--check-mountns"], flags: ["--caps-retain=CAP_SYS_PTRACE"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("check-mountns: DIFFERENT"), "\(r)")
    }


    @Test("--stdout=log keeps the app's output for rkt logs, with --app selecting one app")
    func logs() throws {
        let env = try Self.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let uuidFile = env.dataDir + "/uuid"
        let r = env.run(["--net=host", "--uuid-file-save=" + uuidFile,
                         img, "--name=logged", "--stdout=log", "--stderr=log", "--exec=/bin/sh", "--", "-c", "echo hello-log; echo oops >&2", "---",
                         img, "--name=quiet", "--exec=/bin/echo", "--", "not-logged"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("hello-log"), "\(r)")
        let uuid = ((try? String(contentsOfFile: uuidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let one = env.rkt(["logs", "--app=logged", uuid])
        #expect(one.exit == 0, "\(one)")
        #expect(one.stdout == "hello-log\noops\n", "\(one)")
        let all = env.rkt(["logs", uuid])
        #expect(all.stdout == "hello-log\noops\n", "\(all)")
        let none = env.rkt(["logs", "--app=quiet", uuid])
        #expect(none.exit == 254, "\(none)")
        let missing = env.rkt(["logs", "--app=nope", uuid])
        #expect(missing.exit == 254 && missing.stderr.contains("not found"), "\(missing)")
    }
}
