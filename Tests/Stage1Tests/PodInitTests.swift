import Glibc
import RktCommon
import RktOS
import Stage1
import Testing

/// Runs the real `rkt-stage1` init against hand-built pod directories (stage1 rootfs with the
/// entrypoint symlinks, busybox apps), the way stage0 would exec it. Needs root.
struct PodFixture {
    let dir: String
    let uuid: String

    static var binary: String {
        // The test bundle lives next to the products of the same build.
        let exe = (try? FileSystem.readlink("/proc/self/exe")) ?? ""
        return PathUtil.join(PathUtil.dirname(exe), "rkt-stage1")
    }

    /// `apps`: name → RuntimeApp `app` JSON; `annotations`: name → RuntimeApp annotations
    /// (`[("coreos.com/rkt/stage2/stdout", "log")]`).
    init(_ apps: [(String, String)], annotations: [String: [(String, String)]] = [:]) throws {
        var raw = [UInt8](repeating: 0, count: 16)
        raw = try FileIO.randomBytes(16)
        let hex = raw.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        let chars = Array(hex)
        uuid = String(chars[0..<8]) + "-" + String(chars[8..<12]) + "-" + String(chars[12..<16]) + "-"
            + String(chars[16..<20]) + "-" + String(chars[20..<32])
        dir = "/tmp/rkt-stage1-test-" + uuid
        let s1 = dir + "/stage1/rootfs"
        for d in ["rkt/status", "rkt/env", "etc", "opt/stage2", "proc", "dev", "sys"] { try FileSystem.mkdirAll(s1 + "/" + d) }
        try FileIO.writeFile(s1 + "/rkt-stage1", try FileIO.readFile(PodFixture.binary), mode: 0o755)
        for ep in ["init", "enter", "gc", "stop"] { try FileSystem.symlink(target: "rkt-stage1", at: s1 + "/" + ep) }
        var entries: [String] = []
        for (name, rawApp) in apps {
            // appc requires user and group (stage0 always writes them); default the fixtures to root.
            let app = rawApp.contains(#""user""#) ? rawApp : #"{"user":"0","group":"0","# + rawApp.dropFirst()
            let r = s1 + "/opt/stage2/\(name)/rootfs"
            for d in ["bin", "etc", "tmp"] { try FileSystem.mkdirAll(r + "/" + d) }
            try FileIO.writeFile(r + "/bin/busybox", try FileIO.readFile("/usr/bin/busybox"), mode: 0o755)
            for c in ["sh", "cat", "id", "sleep", "grep", "ls", "hostname", "ps", "wc", "tail"] {
                try FileSystem.symlink(target: "busybox", at: r + "/bin/" + c)
            }
            try FileIO.writeFile(r + "/etc/passwd", "root:x:0:0::/:/bin/sh\nuser:x:1000:1000::/:/bin/sh\n")
            try FileIO.writeFile(r + "/etc/group", "root:x:0:\nusers:x:100:\n")
            try FileIO.writeFile(s1 + "/opt/stage2/\(name)/manifest", #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"t/\#(name)"}"#)
            let ann = (annotations[name] ?? []).map { #"{"name":"\#($0.0)","value":"\#($0.1)"}"# }.joined(separator: ",")
            entries.append(#"{"name":"\#(name)","image":{"name":"t/\#(name)","id":"sha512-00"},"app":\#(app),"annotations":[\#(ann)]}"#)
        }
        try FileIO.writeFile(dir + "/pod", #"{"acVersion":"0.8.11","acKind":"PodManifest","apps":[\#(entries.joined(separator: ","))]}"#)
    }

    /// Runs `<entrypoint> args…` with cwd = pod dir; returns exit status and combined output.
    func run(_ entrypoint: String, _ args: [String]) throws -> (Int32, String) {
        let pid = try start(entrypoint, args)
        let status = try Spawn.wait(pid.pid)
        let out = String(decoding: try FileIO.readAll(fd: pid.out), as: UTF8.self)
        FileIO.close(pid.out)
        return (status, out)
    }

    func start(_ entrypoint: String, _ args: [String]) throws -> (pid: pid_t, out: Int32) {
        var p: [Int32] = [-1, -1]
        guard pipe(&p) == 0 else { throw RktError.errno("pipe") }
        let null = try FileIO.open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { FileIO.close(null); FileIO.close(p[1]) }
        try FileIO.setCloseOnExec(p[0], true)
        var req = SpawnRequest(path: dir + "/stage1/rootfs/" + entrypoint, argv: [entrypoint] + args, env: ["PATH=/usr/bin:/bin"])
        req.cwd = dir
        req.fds = [null, p[1], p[1]]
        return (try Spawn.run(req), p[0])
    }

    func status(_ app: String) -> String? {
        try? FileIO.readString(dir + "/stage1/rootfs/rkt/status/" + app)
    }

    func cleanUp() {
        _ = try? run("gc", [uuid])
        try? FileSystem.removeTree(dir)
    }
}

@Suite("pod init on a hand-built pod", .serialized)
struct PodInitTests {
    @Test("a single app runs as pid 2 under pod-init with the pod hostname, and its exit status is the pod's")
    func singleApp() throws {
        let pod = try PodFixture([("a", #"{"exec":["/bin/sh","-c","echo pid=$$; hostname; echo pid1=$(cat /proc/1/comm); exit 3"]}"#)])
        defer { pod.cleanUp() }
        let (code, out) = try pod.run("init", ["--net=host", pod.uuid])
        #expect(code == 3, "\(out)")
        #expect(out.contains("pid=2"))
        #expect(out.contains("rkt-\(pod.uuid)"))
        #expect(out.contains("pid1=pod-init"))
        #expect(pod.status("a") == "3")
        #expect(FileSystem.exists(pod.dir + "/pid") && FileSystem.exists(pod.dir + "/subcgroup"))
    }

    @Test("in a three-app pod the first failing app decides the exit status and the others are stopped")
    func firstFailure() throws {
        let pod = try PodFixture([
            ("a", #"{"exec":["/bin/sleep","60"]}"#),
            ("b", #"{"exec":["/bin/sh","-c","sleep 1; exit 7"]}"#),
            ("c", #"{"exec":["/bin/sh","-c","sleep 2; exit 9"]}"#),
        ])
        defer { pod.cleanUp() }
        let (code, out) = try pod.run("init", ["--net=host", pod.uuid])
        #expect(code == 7, "\(out)")
        #expect(pod.status("a") == "143")
        #expect(pod.status("b") == "7")
        #expect(pod.status("c") == "143")
    }

    @Test("--net=none gives the pod a network namespace with only lo, gone after the pod and gc")
    func netNone() throws {
        let pod = try PodFixture([("a", #"{"exec":["/bin/sh","-c","tail -n +3 /proc/net/dev | wc -l; sleep 1"],"user":"user","group":"users"}"#)])
        defer { pod.cleanUp() }
        let started = try pod.start("init", ["--net=none", pod.uuid])
        var netns = ""
        for _ in 0..<100 where netns.isEmpty {
            netns = (try? FileIO.readString(pod.dir + "/netns"))?.trimmingSpaces() ?? ""
            if netns.isEmpty { usleep(20_000) }
        }
        #expect(!netns.isEmpty && FileSystem.exists(netns), "netns \(netns)")
        let code = try Spawn.wait(started.pid)
        let out = String(decoding: try FileIO.readAll(fd: started.out), as: UTF8.self)
        FileIO.close(started.out)
        #expect(code == 0, "\(out)")
        #expect(out.trimmingSpaces() == "1", "\(out)")
        #expect(try pod.run("gc", [pod.uuid]).0 == 0)
        #expect(!FileSystem.exists(netns))
    }

    @Test("stdout=log copies the app's output to the console and to logs/<app>.log, stderr=null drops it")
    func stdoutLog() throws {
        let pod = try PodFixture(
            [("a", #"{"exec":["/bin/sh","-c","echo to-log; echo to-null >&2"]}"#)],
            annotations: ["a": [("coreos.com/rkt/stage2/stdout", "log"), ("coreos.com/rkt/stage2/stderr", "null")]])
        defer { pod.cleanUp() }
        let (code, out) = try pod.run("init", ["--net=host", pod.uuid])
        #expect(code == 0, "\(out)")
        #expect(out == "to-log\n", "\(out)")
        #expect((try? FileIO.readString(pod.dir + "/logs/a.log")) == "to-log\n")
    }

    @Test("after SIGKILL of the pod's init, gc leaves no process, cgroup or network namespace behind")
    func killAndGC() throws {
        let pod = try PodFixture([("a", #"{"exec":["/bin/sh","-c","sleep 300 & sleep 300"]}"#)])
        defer { pod.cleanUp() }
        let started = try pod.start("init", ["--net=none", pod.uuid])
        defer { FileIO.close(started.out) }
        var podInit: pid_t = 0
        for _ in 0..<100 where podInit == 0 {
            podInit = pid_t((try? FileIO.readString(pod.dir + "/pid")) ?? "") ?? 0
            if podInit == 0 { usleep(50_000) }
        }
        #expect(podInit > 0)
        // The readiness link points at "ready", which does not exist as a file: test the link itself.
        for _ in 0..<200 where (try? FileSystem.lstatIfExists(pod.dir + "/stage1/rootfs/rkt/supervisor-status")) == nil {
            usleep(50_000)
        }
        kill(podInit, SIGKILL)
        #expect(try Spawn.wait(started.pid) == 137)
        let sub = try FileIO.readString(pod.dir + "/subcgroup")
        let netns = try FileIO.readString(pod.dir + "/netns")
        #expect(try pod.run("gc", [pod.uuid]).0 == 0)
        let host = CgroupHost.detect()
        #expect(host.directories(sub).allSatisfy { !FileSystem.exists($0) })
        #expect(!FileSystem.exists(netns))
        #expect(kill(podInit, 0) != 0)
    }
}
