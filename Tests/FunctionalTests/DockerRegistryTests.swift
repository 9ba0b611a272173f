import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Debian's `docker-registry` (distribution 2.8) on 127.0.0.1 with a free port and storage in a
/// temp dir. Killed by pid in `stop()`.
final class TestRegistry: @unchecked Sendable {
    let dir: String
    let port: Int
    let process: SpawnedProcess
    var host: String { "127.0.0.1:\(port)" }

    init() throws {
        dir = try makeTempDir(prefix: "rkt-registry")
        port = try Self.freePort()
        let config = """
        version: 0.1
        log:
          level: error
        storage:
          filesystem:
            rootdirectory: \(dir)/storage
        http:
          addr: 127.0.0.1:\(port)
        """
        try config.write(toFile: dir + "/config.yml", atomically: true, encoding: .utf8)
        process = try spawnProcess(
            "/usr/bin/docker-registry", ["serve", dir + "/config.yml"],
            environment: ProcessInfo.processInfo.environment, stdinPath: nil,
            stdoutPath: dir + "/stdout", stderrPath: dir + "/stderr")
        for _ in 0..<100 {
            if let r = try? runCommand("/usr/bin/curl", ["-sf", "-o", "/dev/null", "http://\(host)/v2/"], timeout: 5), r.exit == 0 { return }
            usleep(100_000)
        }
        stop()
        throw HarnessError("docker-registry did not come up on \(host)")
    }

    /// Binds port 0 on loopback to let the kernel pick, then releases it.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Int32 in
                guard bind(fd, p, len) == 0 else { return -1 }
                return getsockname(fd, p, &len)
            }
        }
        guard rc == 0 else { throw HarnessError("bind failed") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// `skopeo copy oci:LAYOUT:TAG docker://HOST/NAME:TAG` (with `--all` for indexes).
    func push(layout: String, tag: String, as name: String, all: Bool = false) throws {
        var args = ["copy", "--quiet", "--dest-tls-verify=false"]
        if all { args.append("--all") }
        args += ["oci:\(layout):\(tag)", "docker://\(host)/\(name)"]
        try mustRun("/usr/bin/skopeo", args, timeout: 300)
    }

    /// The registry's on-disk copy of a blob (to corrupt it behind the registry's back).
    func blobPath(_ digest: String) -> String {
        let hex = digest.dropFirst("sha256:".count)
        return "\(dir)/storage/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data"
    }

    func stop() {
        if process.isRunning {
            process.kill(SIGTERM)
            process.wait(timeout: 10)
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    deinit { stop() }
}

@Suite("docker:// images from a local registry")
struct DockerRegistryTests {
    static let insecure = "image,http"

    @Test("a one-layer busybox image is fetched, run, and reused with --pull-policy=new")
    func busyboxFetchRun() throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.stage1 = .fly
        env.insecureOptions = Self.insecure
        let layout = env.tmpDir + "/layout"
        _ = try OCILayoutBuilder.busybox(in: layout)
        try registry.push(layout: layout, tag: "latest", as: "busybox:latest")
        let url = "docker://\(registry.host)/busybox:latest"

        let run = env.run([url, "--exec", "/bin/echo", "--", "hi"])
        #expect(run.exit == 0, "\(run)")
        #expect(run.stdout.contains("hi"), "\(run)")

        let list = env.rkt(["image", "list", "--no-legend"])
        #expect(list.stdout.contains("127.0.0.1_\(registry.port)/busybox:latest"), "\(list)")
        let manifest = env.rkt(["image", "cat-manifest", "127.0.0.1_\(registry.port)/busybox:latest"])
        #expect(manifest.stdout.contains("appc.io/docker/repository"), "\(manifest)")
        #expect(manifest.stdout.contains("\"/bin/echo\""), "\(manifest)")

        env.extraGlobalFlags = ["--debug"]
        let again = env.rkt(["fetch", "--pull-policy=new", url])
        #expect(again.exit == 0, "\(again)")
        #expect(again.stderr.contains("using image from local store for url \(url)"), "\(again)")
    }

    @Test("docker images need --insecure-options=image")
    func needsInsecureImage() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = nil
        let r = env.rkt(["fetch", "docker://127.0.0.1:1/busybox"])
        #expect(r.exit == 254)
        #expect(r.stderr.contains("signature verification for docker images is not supported (try --insecure-options=image)"), "\(r)")
    }

    @Test("layers apply in order: a whiteout deletes, an opaque whiteout empties a directory")
    func multiLayerWhiteouts() throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = Self.insecure
        var b = try OCILayoutBuilder(dir: env.tmpDir + "/layout")
        var lower = TarWriter()
        lower.dir("data"); lower.file("data/a", "a"); lower.file("data/b", "b")
        lower.dir("opq"); lower.file("opq/old", "old"); lower.file("gone", "gone")
        var upper = TarWriter()
        upper.file("data/.wh.a", ""); upper.file(".wh.gone", "")
        upper.file("opq/.wh..wh..opq", ""); upper.file("opq/new", "new")
        let layers = [try b.addLayer(lower), try b.addLayer(upper)]
        try b.tag(try b.addImage(layers: layers, config: #"{"Cmd":["/bin/true"]}"#), "v2")
        try registry.push(layout: b.dir, tag: "v2", as: "layered:v2")

        let url = "docker://\(registry.host)/layered:v2"
        let fetch = env.rkt(["fetch", url])
        #expect(fetch.exit == 0, "\(fetch)")
        let out = env.tmpDir + "/render"
        let render = env.rkt(["image", "render", "--rootfs-only", "127.0.0.1_\(registry.port)/layered:v2", out])
        #expect(render.exit == 0, "\(render)")
        let fm = FileManager.default
        #expect(!fm.fileExists(atPath: out + "/data/a"))
        #expect((try? String(contentsOfFile: out + "/data/b", encoding: .utf8)) == "b")
        #expect(!fm.fileExists(atPath: out + "/gone"))
        #expect(((try? fm.contentsOfDirectory(atPath: out + "/opq")) ?? []).sorted() == ["new"])
    }

    @Test("a manifest list resolves to the linux/amd64 image")
    func manifestListPicksAmd64() throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = Self.insecure
        var b = try OCILayoutBuilder(dir: env.tmpDir + "/layout")
        var armTar = TarWriter(); armTar.file("which", "arm64")
        var amdTar = TarWriter(); amdTar.file("which", "amd64")
        let arm = try b.addImage(layers: [try b.addLayer(armTar)], arch: "arm64")
        let amd = try b.addImage(layers: [try b.addLayer(amdTar)], arch: "amd64")
        try b.tag(try b.addIndex([(arm, "arm64"), (amd, "amd64")]), "multi")
        try registry.push(layout: b.dir, tag: "multi", as: "multi:multi", all: true)

        let fetch = env.rkt(["fetch", "docker://\(registry.host)/multi:multi"])
        #expect(fetch.exit == 0, "\(fetch)")
        let out = env.tmpDir + "/render"
        let render = env.rkt(["image", "render", "--rootfs-only", "127.0.0.1_\(registry.port)/multi:multi", out])
        #expect(render.exit == 0, "\(render)")
        #expect((try? String(contentsOfFile: out + "/which", encoding: .utf8)) == "amd64")
    }

}
