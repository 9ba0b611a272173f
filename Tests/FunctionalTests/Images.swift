import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// ACI compressions rkt accepts (the store identifies an image by its uncompressed tar).
enum ACICompression: String, CaseIterable, Sendable {
    case none, gzip, bzip2, xz

    var tool: (String, [String])? {
        switch self {
        case .none: return nil
        case .gzip: return ("/bin/gzip", ["-n", "-c"])
        case .bzip2: return ("/bin/bzip2", ["-c"])
        case .xz: return ("/usr/bin/xz", ["-c"])
        }
    }
}

/// The test images, built offline by the tests themselves and cached per test process under one
/// temp dir (removed at exit). Every builder takes a `patch` closure, the equivalent of
/// `actool patch-manifest`, and returns the path of a ready ACI; identical requests share a file.
///
///     let aci = try TestImages.inspect { $0.setExec("/inspect --print-msg=Hello") }
///     let r = env.run([aci])
enum TestImages {
    /// The raw `inspect` helper (static), for byte comparisons (`INSPECT_BINARY` in rkt's suite).
    static func inspectBinary() throws -> String { try ImageCache.shared.inspectRootfs() + "/inspect" }

    /// rkt's `rkt-inspect.aci` (rkt-functional-tests.md §1.2).
    static func inspectManifest() -> TestManifest {
        var app = TestManifest.App()
        app.exec = ["/inspect"]
        app.workingDirectory = "/"
        app.environment = [("VAR_FROM_MANIFEST", "manifest"), ("PATH", "/bin")]
        app.isolators = [
            ("resource/memory", .object([("request", .string("25Mi")), ("limit", .string("25Mi"))])),
            ("resource/cpu", .object([("request", .string("50m")), ("limit", .string("800m"))])),
        ]
        var m = TestManifest(name: "coreos.com/rkt-inspect", app: app)
        m.annotations = [
            ("appc.io/docker/repository", "whatever"),
            ("coreos.com/rkt/stage1/run", "/ex/run"),
            ("coreos.com/rkt/stage1/enter", "/ex/enter"),
            ("coreos.com/rkt/stage1/gc", "/ex/gc"),
            ("appc.io/executor/supports-systemd-notify", "false"),
        ]
        return m
    }

    /// busybox-static with applet symlinks, and root, `user` (1000) and group `user` (1000).
    static func busyboxManifest() -> TestManifest {
        var app = TestManifest.App()
        app.exec = ["/bin/true"]
        app.environment = [("PATH", "/bin:/usr/bin:/sbin:/usr/sbin")]
        return TestManifest(name: "coreos.com/rkt-busybox", app: app)
    }

    /// rkt's `rkt-empty.aci`: labels only, no app, empty rootfs.
    static func emptyManifest() -> TestManifest { TestManifest(name: "coreos.com/rkt-empty") }

    static func inspect(
        compression: ACICompression = .none, files: [String: String] = [:], _ patch: (inout TestManifest) -> Void = { _ in }
    ) throws -> String {
        var m = inspectManifest()
        patch(&m)
        return try build(manifest: m, rootfs: ImageCache.shared.inspectRootfs(), files: files, compression: compression)
    }

    static func busybox(
        compression: ACICompression = .none, files: [String: String] = [:], _ patch: (inout TestManifest) -> Void = { _ in }
    ) throws -> String {
        var m = busyboxManifest()
        patch(&m)
        return try build(manifest: m, rootfs: ImageCache.shared.busyboxRootfs(), files: files, compression: compression)
    }

    static func empty(compression: ACICompression = .none, _ patch: (inout TestManifest) -> Void = { _ in }) throws -> String {
        var m = emptyManifest()
        patch(&m)
        return try build(manifest: m, rootfs: ImageCache.shared.emptyRootfs(), files: [:], compression: compression)
    }

    /// rkt's stub stage1 (`localhost/rkt-stub-stage1` 0.0.1, rkt-functional-tests.md §1.2): `run`
    /// writes `ppid`, prints the success line and exits 0; `enter` and `gc` do nothing. For
    /// stage1 *selection* tests, where no sandbox is needed.
    static let stubStage1Message = "success, stub stage1 would at this point switch to stage2"

    static func stubStage1(_ patch: (inout TestManifest) -> Void = { _ in }) throws -> String {
        let root = try ImageCache.shared.once("stub-stage1") { root in
            for d in ["opt/stage1", "opt/stage2", "rkt/env", "rkt/status"] {
                try FileManager.default.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true)
            }
            let scripts = [
                ("run", "#!/bin/sh\necho $$ > ppid\necho \"\(stubStage1Message)\"\nexit 0\n"),
                ("enter", "#!/bin/sh\nexit 0\n"), ("gc", "#!/bin/sh\nexit 0\n"),
            ]
            for (name, text) in scripts {
                try text.write(toFile: root + "/" + name, atomically: false, encoding: .utf8)
                chmod(root + "/" + name, 0o755)
            }
        }
        var m = TestManifest(name: "localhost/rkt-stub-stage1")
        m.labels = [("version", "0.0.1"), ("arch", "amd64"), ("os", "linux")]
        m.annotations = [
            ("coreos.com/rkt/stage1/run", "/run"), ("coreos.com/rkt/stage1/enter", "/enter"),
            ("coreos.com/rkt/stage1/gc", "/gc"),
        ]
        patch(&m)
        return try build(manifest: m, rootfs: root)
    }

    /// An ACI of `manifest` over a copy of `rootfs` plus `files` (rootfs-relative path → content).
    static func build(
        manifest: TestManifest, rootfs: String, files: [String: String] = [:], compression: ACICompression = .none
    ) throws -> String {
        let key = manifest.serialized + "\u{0}" + rootfs + "\u{0}"
            + files.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\u{0}")
        let out = ImageCache.shared.dir + "/img-\(fnv1a(key))\(compression == .none ? "" : "-" + compression.rawValue).aci"
        if FileManager.default.fileExists(atPath: out) { return out }
        let tar = try buildTar(manifest: manifest, rootfs: rootfs, files: files, key: key)
        guard let (tool, args) = compression.tool else { return tar }
        let tmp = out + ".tmp-\(getpid())-\(UUID().uuidString.prefix(8))"
        let r = try runCommand("/bin/sh", ["-c", "\"$0\" \"$@\" < \"$TAR\" > \"$OUT\"", tool] + args,
                               environment: ["TAR": tar, "OUT": tmp, "PATH": "/usr/bin:/bin"])
        guard r.exit == 0 else { throw HarnessError("compressing \(tar) with \(tool): \(r)") }
        try moveIntoPlace(tmp, out)
        return out
    }

    private static func buildTar(manifest: TestManifest, rootfs: String, files: [String: String], key: String) throws -> String {
        let out = ImageCache.shared.dir + "/img-\(fnv1a(key)).aci"
        if FileManager.default.fileExists(atPath: out) { return out }
        let work = try makeTempDir(prefix: "rkt-aci")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try manifest.serialized.write(toFile: work + "/manifest", atomically: false, encoding: .utf8)
        var rootParent = (rootfs as NSString).deletingLastPathComponent
        if !files.isEmpty {
            try mustRun("/bin/cp", ["-a", rootfs, work + "/rootfs"])
            for (path, content) in files {
                let full = work + "/rootfs/" + path
                try FileManager.default.createDirectory(
                    atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try content.write(toFile: full, atomically: false, encoding: .utf8)
            }
            rootParent = work
        }
        guard (rootfs as NSString).lastPathComponent == "rootfs" else {
            throw HarnessError("image rootfs dirs must be named rootfs: \(rootfs)")
        }
        let tmp = out + ".tmp-\(getpid())-\(UUID().uuidString.prefix(8))"
        // Owned by root like `actool build --owner-root`; sorted for a stable image ID.
        try mustRun("/bin/tar", [
            "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "-cf", tmp,
            "-C", work, "manifest", "-C", rootParent, "rootfs",
        ])
        try moveIntoPlace(tmp, out)
        return out
    }
}

/// Atomic publish: concurrent builders of the same image write identical bytes.
func moveIntoPlace(_ tmp: String, _ final: String) throws {
    guard rename(tmp, final) == 0 else {
        let e = errno
        unlink(tmp)
        throw HarnessError("rename \(tmp) to \(final): \(String(cString: strerror(e)))")
    }
}

/// 64-bit FNV-1a as hex: a stable, dependency-free file name for a cache key.
func fnv1a(_ s: String) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 {
        h ^= UInt64(b)
        h = h &* 0x100_0000_01b3
    }
    return String(h, radix: 16)
}
