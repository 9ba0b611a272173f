import CShim
import Glibc
import RktCommon
import RktOS
import RktTestSupport

/// A fresh directory under /tmp, removed by `cleanup()` (after the test unmounted everything).
struct FlyTempDir {
    let path: String

    init() throws {
        var template = Array("/tmp/rkt-fly-test-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw RktError.errno("mkdtemp") }
        path = String(cString: p)
    }

    func sub(_ rel: String) -> String { PathUtil.join(path, rel) }

    func cleanup() { try? FileSystem.removeTree(path) }
}

/// A pod directory laid out as stage0 leaves it before exec'ing the fly `run` entrypoint:
/// `pod`, and one busybox-static app rootfs with its image manifest.
struct FlyTestPod {
    static let uuid = "6b2c3f7e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"
    let dir: String

    var appRootfs: String { PathUtil.join(dir, "stage1/rootfs/opt/stage2/app/rootfs") }

    /// `appJSON` is the runtime app's `app` object; `extra` adds top-level pod manifest fields.
    init(in dir: String, appJSON: String, appCount: Int = 1, mountsJSON: String = "[]", volumesJSON: String = "[]") throws {
        self.dir = dir
        let bin = PathUtil.join(appRootfs, "bin")
        try FileSystem.mkdirAll(bin)
        try FileSystem.mkdirAll(PathUtil.join(dir, "stage1/rootfs/rkt/env"))
        try FileSystem.copyRegularFile(from: "/usr/bin/busybox", to: PathUtil.join(bin, "busybox"))
        for tool in ["sh", "echo", "id", "cat", "ls", "env", "stat", "touch"] {
            try FileSystem.symlink(target: "busybox", at: PathUtil.join(bin, tool))
        }
        try FileSystem.mkdirAll(PathUtil.join(appRootfs, "etc"))
        try FileIO.writeFile(PathUtil.join(appRootfs, "etc/passwd"),
                             "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n")
        try FileIO.writeFile(PathUtil.join(appRootfs, "etc/group"), "root:x:0:\nnogroup:x:65534:\nextra:x:4242:\n")
        for i in 0..<appCount {
            let appDir = PathUtil.join(dir, "stage1/rootfs/opt/stage2/\(i == 0 ? "app" : "app\(i)")")
            try FileSystem.mkdirAll(appDir)
            try FileIO.writeFile(PathUtil.join(appDir, "manifest"), """
                {"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/busybox",
                 "app":{"exec":["/bin/sh"],"user":"0","group":"0"}}
                """)
        }
        let apps = (0..<appCount).map { i in
            """
            {"name":"\(i == 0 ? "app" : "app\(i)")","image":{"name":"example.com/busybox",
             "id":"sha512-\(String(repeating: "a", count: 64))"},"app":\(appJSON),"mounts":\(mountsJSON)}
            """
        }.joined(separator: ",")
        try FileIO.writeFile(PathUtil.join(dir, "pod"), """
            {"acKind":"PodManifest","acVersion":"0.8.11","apps":[\(apps)],"volumes":\(volumesJSON)}
            """)
    }

    /// Runs the built `rkt-stage1-fly` through a symlink named `run`, as stage0 would: cwd is the
    /// pod, the locked pod directory fd is `RKT_LOCK_FD`. Returns the status and stdout+stderr.
    func run(_ flags: [String] = ["--net=default", "--local-config=/etc/rkt"]) throws -> (status: ExitStatus, output: String) {
        let link = PathUtil.join(PathUtil.dirname(dir), "run")
        if (try FileSystem.lstatIfExists(link)) == nil {
            try FileSystem.symlink(target: try flyBinary(), at: link)
        }
        let lock = try FileLock.exclusiveLock(dir, .directory)
        defer { lock.close() }
        var p = Subprocess(path: link, argv: [link] + flags + [Self.uuid],
                           env: ["RKT_LOCK_FD=3", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"], cwd: dir)
        p.fds = [3: lock.fd]
        let (status, out) = try p.runCapturingOutput(mergeStderr: true)
        return (status, String(decoding: out, as: UTF8.self))
    }
}

extension FlyTestPod {
    /// Starts `run` in the background (the caller waits for it) and returns its pid.
    func start() throws -> (pid: pid_t, lock: FileLock) {
        let link = try entrypoint("run")
        let lock = try FileLock.exclusiveLock(dir, .directory)
        var p = Subprocess(path: link, argv: [link, "--net=default", Self.uuid],
                           env: ["RKT_LOCK_FD=3", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"], cwd: dir)
        p.fds = [1: 2, 3: lock.fd]
        return (try p.spawn(), lock)
    }

    /// Runs another entrypoint (`enter`, `stop`, `gc`) with cwd = the pod, as stage0 does.
    func entrypoint(_ name: String, _ args: [String], env: [String] = []) throws -> (status: ExitStatus, output: String) {
        let link = try entrypoint(name)
        let p = Subprocess(path: link, argv: [link] + args, env: env, cwd: dir)
        let (status, out) = try p.runCapturingOutput(mergeStderr: true)
        return (status, String(decoding: out, as: UTF8.self))
    }

    func entrypoint(_ name: String) throws -> String {
        let link = PathUtil.join(PathUtil.dirname(dir), name)
        if (try FileSystem.lstatIfExists(link)) == nil {
            try FileSystem.symlink(target: try flyBinary(), at: link)
        }
        return link
    }
}

/// The `rkt-stage1-fly` binary built next to this test bundle.
func flyBinary() throws -> String {
    let exe = try FileSystem.readlink("/proc/self/exe")
    var dir = PathUtil.dirname(exe)
    // The bundle may live inside `<name>.xctest/`; walk up to the build products directory.
    for _ in 0..<4 {
        let candidate = PathUtil.join(dir, "rkt-stage1-fly")
        if FileSystem.exists(candidate) { return candidate }
        dir = PathUtil.dirname(dir)
    }
    throw RktError("cannot find the rkt-stage1-fly binary near \(exe)")
}

