import Glibc
import RktOS
import Testing

@Suite("UserDatabase, Environment, Exec and Subprocess")
struct UserEnvExecTests {
    static func rootfs(_ t: TempDir) throws -> String {
        let r = t.sub("rootfs")
        try FileSystem.mkdirAll(PathUtil.join(r, "etc"))
        try FileIO.writeFile(PathUtil.join(r, "etc/passwd"), "# c\nroot:x:0:0:root:/root:/bin/sh\nuser:x:1000:100::/home/user:/bin/sh\nbad line\n")
        try FileIO.writeFile(PathUtil.join(r, "etc/group"), "root:x:0:\nusers:x:100:user\nwheel:x:10:root,user\n")
        return r
    }

    @Test("users and groups come from the image's files, names or numbers or a path's owner")
    func resolveUserGroup() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        let r = try Self.rootfs(t)
        #expect(try UserDatabase.resolveUserGroup(user: "user", group: "wheel", root: r) == (1000, 10))
        #expect(try UserDatabase.resolveUserGroup(user: "42", group: "43", root: r) == (42, 43))
        try FileIO.writeFile(PathUtil.join(r, "owned"), "")
        try FileSystem.chown(PathUtil.join(r, "owned"), uid: 7, gid: 8)
        #expect(try UserDatabase.resolveUserGroup(user: "/owned", group: "/owned", root: r) == (7, 8))
        #expect(UserDatabase.parseGroup("wheel:x:10:root,user\n")[0].members == ["root", "user"])
    }

    @Test("an unknown user fails with rkt's message, never falling back to the host")
    func unknownUser() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        let r = try Self.rootfs(t)
        // "daemon" exists on the host but not in the image.
        #expect {
            try UserDatabase.resolveUserGroup(user: "daemon", group: "0", root: r)
        } throws: { e in
            String(describing: e).hasPrefix("invalid user \"daemon\"")
        }
    }

    @Test("env files round-trip as K=V lines")
    func envFile() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        let p = t.sub("rkt/env/app")
        try Environment.writeEnvFile(p, [("PATH", "/bin"), ("X", "a=b c")])
        #expect(try FileIO.readString(p) == "PATH=/bin\nX=a=b c\n")
        #expect(try Environment.readEnvFile(p) == ["PATH=/bin", "X=a=b c"])
        #expect(Environment.value("X", in: ["X=1", "X=2"]) == "1")
        #expect(Environment.setting("TERM", "xterm", in: ["A=1", "TERM=dumb"]) == ["A=1", "TERM=xterm"])
    }

    @Test("lookPath searches the app's PATH inside the rootfs")
    func lookPath() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        let r = try Self.rootfs(t)
        try FileSystem.mkdirAll(PathUtil.join(r, "usr/bin"))
        try FileIO.writeFile(PathUtil.join(r, "usr/bin/tool"), "#!/bin/sh\n", mode: 0o755)
        try FileIO.writeFile(PathUtil.join(r, "usr/bin/notexec"), "", mode: 0o644)
        #expect(try Exec.lookPath("tool", pathVar: "/bin:/usr/bin", root: r) == "/usr/bin/tool")
        #expect(try Exec.lookPath("/abs/x", pathVar: nil, root: r) == "/abs/x")
        #expect(throws: (any Error).self) { try Exec.lookPath("notexec", pathVar: "/usr/bin", root: r) }
    }

    @Test("posix_spawn helper passes argv, env, cwd and reports exit codes and signals")
    func subprocess() throws {
        var p = Subprocess(path: "/bin/sh", argv: ["sh", "-c", "echo $FOO; pwd; exit 7"], env: ["FOO=bar"], cwd: "/tmp")
        let (status, out) = try p.runCapturingOutput()
        #expect(status == .exited(7))
        #expect(String(decoding: out, as: UTF8.self) == "bar\n/tmp\n")
        p.argv = ["sh", "-c", "kill -TERM $$"]
        #expect(try p.run().code == 128 + SIGTERM)
    }
}
