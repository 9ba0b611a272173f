import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The per-process image cache: base rootfs trees built once (under a lock) and the ACIs made
/// from them. Lives in one temp dir that an `atexit` hook removes.
final class ImageCache: @unchecked Sendable {
    static let shared = ImageCache()

    let dir: String
    private let lock = NSLock()
    private var built: [String: String] = [:]

    private init() {
        let base = ProcessInfo.processInfo.environment["RKT_TEST_TMPDIR"] ?? NSTemporaryDirectory()
        dir = (base.hasSuffix("/") ? base : base + "/") + "rkt-ftest-images-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        imageCacheDirForExit = strdup(dir)
        atexit {
            guard let p = imageCacheDirForExit else { return }
            let path = String(cString: p)
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// Builds the rootfs `name` once with `make(rootfsDir)`; concurrent callers wait for the
    /// first. Test files use it for their own image trees (e.g. the custom stage1).
    func once(_ name: String, _ make: (String) throws -> Void) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let p = built[name] { return p }
        let root = dir + "/base-\(name)/rootfs"
        try? FileManager.default.removeItem(atPath: dir + "/base-\(name)")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try make(root)
        built[name] = root
        return root
    }

    func emptyRootfs() throws -> String { try once("empty") { _ in } }

    /// rkt's inspect rootfs (rkt-functional-tests.md §1.2), with the C helper compiled static.
    func inspectRootfs() throws -> String {
        try once("inspect") { root in
            let src = RktBuild.fixtures
            try mustRun("/usr/bin/gcc", [
                "-static", "-O2", "-o", root + "/inspect",
                src + "/inspect.c", src + "/inspect-sys.c", src + "/inspect-net.c",
                src + "/inspect-probe.c",
            ])
            let fm = FileManager.default
            for d in ["dir1", "dir2", "bin", "etc"] {
                try fm.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true)
            }
            try "dir1".write(toFile: root + "/dir1/file", atomically: false, encoding: .utf8)
            try "dir2".write(toFile: root + "/dir2/file", atomically: false, encoding: .utf8)
            try "group1:x:100:user1".write(toFile: root + "/etc/group", atomically: false, encoding: .utf8)
            try "user1:x:1000:100::/:".write(toFile: root + "/etc/passwd", atomically: false, encoding: .utf8)
            let links: [(String, String)] = [
                ("dir1/link_abs_dir2", "/dir2"), ("dir1/link_abs_dotdot_dir2", "/../dir2"),
                ("dir1/link_rel_dir2", "../dir2"), ("dir1/link_abs_root", "/"),
                ("dir1/link_abs_notexists", "/notexists"), ("inspect-link", "/inspect"),
                ("bin/inspect-link-bin", "/inspect"),
            ]
            for (at, to) in links {
                try fm.createSymbolicLink(atPath: root + "/" + at, withDestinationPath: to)
            }
        }
    }

    /// busybox-static as /usr/bin/busybox, every applet a symlink in /bin, passwd and group.
    func busyboxRootfs() throws -> String {
        try once("busybox") { root in
            let fm = FileManager.default
            guard let bb = ["/bin/busybox", "/usr/bin/busybox"].first(where: { fm.isExecutableFile(atPath: $0) }) else {
                throw HarnessError("busybox-static is not installed (make deps)")
            }
            for d in ["bin", "usr/bin", "sbin", "etc", "tmp", "root", "home/user"] {
                try fm.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true)
            }
            chmod(root + "/tmp", 0o1777)
            try mustRun("/usr/bin/install", ["-m", "0755", bb, root + "/usr/bin/busybox"])
            let list = try mustRun(bb, ["--list"]).stdout
            for applet in list.split(separator: "\n") where applet != "busybox" {
                try? fm.createSymbolicLink(atPath: root + "/bin/\(applet)", withDestinationPath: "/usr/bin/busybox")
            }
            try "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n"
                .write(toFile: root + "/etc/passwd", atomically: false, encoding: .utf8)
            try "root:x:0:\nuser:x:1000:\n".write(toFile: root + "/etc/group", atomically: false, encoding: .utf8)
            chown(root + "/home/user", 1000, 1000)
        }
    }
}

/// `atexit` takes a C function pointer, which cannot capture: the path goes through a global.
nonisolated(unsafe) private var imageCacheDirForExit: UnsafeMutablePointer<CChar>?
