import Glibc
import RktCommon
import RktOS
import Testing

/// rkt_spawn through its Swift face. These need root (namespaces, chroot); we run as root.
@Suite("rkt_spawn")
struct SpawnTests {
    func sh(_ script: String) -> SpawnRequest {
        SpawnRequest(path: "/bin/sh", argv: ["sh", "-c", script], env: ["PATH=/usr/bin:/bin"])
    }

    @Test("the exit status and 128+signal come back from wait")
    func exitStatus() throws {
        #expect(try Spawn.wait(try Spawn.run(sh("exit 7"))) == 7)
        #expect(try Spawn.wait(try Spawn.run(sh("kill -9 $$"))) == 137)
    }

    @Test("a failing stage is reported with its name, path and errno")
    func stageErrors() throws {
        var r = sh("true")
        r.root = "/nonexistent-rkt-root"
        do {
            _ = try Spawn.run(r)
            Issue.record("spawn into a missing root succeeded")
        } catch let e as RktError {
            #expect(e.description == "chroot /nonexistent-rkt-root: no such file or directory")
        }
        let missing = SpawnRequest(path: "/nonexistent-binary", argv: ["x"], env: [])
        #expect(throws: RktError.self) { try Spawn.run(missing) }
    }

    @Test("new pid and uts namespaces: the child is pid 1 and sees its own hostname")
    func namespaces() throws {
        var r = sh(#"[ "$$" = 1 ] && [ "$(cat /proc/sys/kernel/hostname)" = rkt-spawn-test ]"#)
        r.cloneFlags = Namespace.flags([.pid, .uts])
        r.hostname = "rkt-spawn-test"
        #expect(try Spawn.wait(try Spawn.run(r)) == 0)
    }

    @Test("credentials, bounding set, no_new_privs and seccomp are applied before exec")
    func security() throws {
        var r = sh(#"""
            [ "$(id -u):$(id -g):$(id -G)" = "1000:1000:1000 44" ] || exit 10
            grep -q '^CapBnd:.*0000000000000021$' /proc/self/status || exit 11
            grep -q '^NoNewPrivs:.*1' /proc/self/status || exit 12
            grep -q '^Seccomp:.*2' /proc/self/status || exit 13
            """#)
        r.credentials = Credentials(uid: 1000, gid: 1000, groups: [1000, 44])
        r.capabilities = CapabilityMasks(bounding: try Capabilities.mask(["CAP_CHOWN", "CAP_KILL"]))
        r.noNewPrivileges = true
        r.seccompBPF = try SeccompCompiler.compile(SeccompFilter(mode: .blacklist, syscalls: ["mount"], errno: EPERM))
        #expect(try Spawn.wait(try Spawn.run(r)) == 0)
    }

    @Test("a seccomp blacklist with errno makes the call fail with that errno")
    func seccompErrno() throws {
        var r = sh("mkdir /tmp/rkt-spawn-seccomp-$$ 2>&1 | grep -qi 'exchange full'")
        r.noNewPrivileges = true
        r.seccompBPF = try SeccompCompiler.compile(SeccompFilter(mode: .blacklist, syscalls: ["mkdir", "mkdirat"], errno: EXFULL))
        #expect(try Spawn.wait(try Spawn.run(r)) == 0)
    }

    @Test("the child starts with default signal dispositions; the parent's stay as they were")
    func signalDispositions() throws {
        // The child runs on the parent's memory (CLONE_VM | CLONE_VFORK) but with its own copy of
        // the handler table: resetting it there must not reset ours.
        var ignore = sigaction()
        ignore.__sigaction_handler.sa_handler = SIG_IGN
        var saved = sigaction()
        #expect(sigaction(SIGUSR2, &ignore, &saved) == 0)
        defer { _ = sigaction(SIGUSR2, &saved, nil) }
        // SIGUSR2 is signal 12: bit 0x800 of SigIgn.
        let r = sh(#"[ $(( 0x$(awk '/^SigIgn/ {print $2}' /proc/self/status) & 0x800 )) = 0 ]"#)
        #expect(try Spawn.wait(try Spawn.run(r)) == 0)
        var now = sigaction()
        #expect(sigaction(SIGUSR2, nil, &now) == 0)
        #expect(unsafeBitCast(now.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self))
    }

    @Test("fds are placed at 0..n and every other fd is closed at exec")
    func fdPlacement() throws {
        var p: [Int32] = [-1, -1]
        #expect(pipe(&p) == 0)
        defer { close(p[0]) }
        var r = sh("echo hello >&3; ls /proc/self/fd | wc -l >&3")
        r.fds = [0, 2, 2, p[1]]
        let pid = try Spawn.run(r)
        close(p[1])
        #expect(try Spawn.wait(pid) == 0)
        let out = String(decoding: try FileIO.readAll(fd: p[0]), as: UTF8.self)
        // 0,1,2,3 plus the fd ls itself opens on /proc/self/fd.
        #expect(out == "hello\n5\n")
    }
}
