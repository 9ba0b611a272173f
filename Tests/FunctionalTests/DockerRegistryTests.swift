import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

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
        let raw = try mustRun("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/busybox:latest"])
        #expect(raw.stdout.contains("application/vnd.oci.image.manifest.v1+json"), "not an OCI manifest: \(raw.stdout)")

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

    @Test("an OCI index and a Docker manifest list resolve to the linux/amd64 image", arguments: ["oci", "v2s2"])
    func manifestListPicksAmd64(_ format: String) throws {
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
        try registry.push(layout: b.dir, tag: "multi", as: "multi:multi", all: true, format: format == "oci" ? nil : format)
        let raw = try mustRun("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/multi:multi"])
        let listType = format == "oci" ? "application/vnd.oci.image.index.v1+json" : "application/vnd.docker.distribution.manifest.list.v2+json"
        #expect(raw.stdout.contains(listType), "\(raw.stdout)")

        let fetch = env.rkt(["fetch", "docker://\(registry.host)/multi:multi"])
        #expect(fetch.exit == 0, "\(fetch)")
        let out = env.tmpDir + "/render"
        let render = env.rkt(["image", "render", "--rootfs-only", "127.0.0.1_\(registry.port)/multi:multi", out])
        #expect(render.exit == 0, "\(render)")
        #expect((try? String(contentsOfFile: out + "/which", encoding: .utf8)) == "amd64")
    }

}

/// What a failed fetch must leave as it found: every file name under the data dir (SQLite's
/// journal files aside) and the image list.
struct StoreSnapshot: Equatable, CustomStringConvertible {
    var files: [String]
    var images: String

    init(_ env: RktTestEnv) {
        // The list first: it creates the store's directories when they do not exist yet.
        images = env.rkt(["image", "list", "--no-legend", "--full"]).stdout
        let all = (FileManager.default.enumerator(atPath: env.dataDir)?.allObjects as? [String]) ?? []
        files = all.filter { !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") && !$0.hasSuffix("-journal") }.sorted()
    }

    var description: String { "images:\n\(images)files:\n" + files.joined(separator: "\n") }
}

/// The non-empty stderr lines that mention `fragment`.
func errorLines(_ r: CommandResult, containing fragment: String) -> [String] {
    r.stderr.split(separator: "\n").map(String.init).filter { $0.contains(fragment) }
}

extension DockerRegistryTests {
    @Test("a layer, config or manifest that does not match its digest is refused with one line naming it; nothing enters the store",
          arguments: ["layer", "config", "manifest"])
    func tamperedBlobRefused(_ what: String) throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = Self.insecure
        var b = try OCILayoutBuilder(dir: env.tmpDir + "/layout")
        var good = TarWriter(); good.file("ok", "fine")
        try b.tag(try b.addImage(layers: [try b.addLayer(good)]), "good")
        var tar = TarWriter()
        for i in 0..<64 { tar.file("f\(i)", String(repeating: "line \(i) of the layer\n", count: 40)) }
        let layer = try b.addLayer(tar)
        let manifest = try b.addImage(layers: [layer])
        try b.tag(manifest, "bad")
        try registry.push(layout: b.dir, tag: "good", as: "app:good")
        try registry.push(layout: b.dir, tag: "bad", as: "app:bad")

        // A first image makes the store exist, so the snapshot covers real directories.
        let first = env.rkt(["fetch", "docker://\(registry.host)/app:good"])
        #expect(first.exit == 0, "\(first)")
        let before = StoreSnapshot(env)

        // Same size, one byte changed behind the registry's back: only the digest can tell.
        let manifestText = try String(contentsOfFile: registry.blobPath(manifest.digest), encoding: .utf8)
        let configDigest = try #require(manifestText.firstRange(of: /sha256:[0-9a-f]{64}/).map { String(manifestText[$0]) })
        let victim = what == "layer" ? layer.digest : what == "config" ? configDigest : manifest.digest
        let blob = registry.blobPath(victim)
        if what == "manifest" {
            // It must stay valid JSON for the registry to serve it: change the layer digest's last digit.
            let changed = String(layer.digest.dropLast()) + (layer.digest.last == "0" ? "1" : "0")
            try manifestText.replacingOccurrences(of: layer.digest, with: changed).write(toFile: blob, atomically: false, encoding: .utf8)
        } else {
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: blob)))
            bytes[bytes.count / 2] ^= 0xff
            try Data(bytes).write(to: URL(fileURLWithPath: blob))
        }

        let r = env.rkt(["fetch", "docker://\(registry.host)/app:bad"])
        #expect(r.exit == 254, "\(r)")
        let lines = errorLines(r, containing: "does not match its digest")
        #expect(lines.count == 1, "\(r)")
        #expect(lines.first?.contains(victim) == true, "\(r)")
        #expect(StoreSnapshot(env) == before)
    }

    @Test("an upper layer writing under a lower layer's symlink stays in the image: the symlink becomes a directory")
    func lowerLayerSymlinkStaysInside() throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = Self.insecure
        let host = env.tmpDir + "/host-dir"
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: false)
        var b = try OCILayoutBuilder(dir: env.tmpDir + "/layout")
        var lower = TarWriter()
        lower.symlink("abs", to: host)
        lower.symlink("rel", to: "../../../../../../../.." + host)
        lower.dir("etc"); lower.symlink("etc/link", to: "/outside")
        lower.dir("target"); lower.file("target/old", "old")
        lower.symlink("dirlink", to: "/target")
        var upper = TarWriter()
        upper.file("abs/pwned", "1")
        upper.file("rel/pwned", "2")
        upper.file("etc/link/conf", "3")
        upper.file("dirlink/new", "4")
        let layers = [try b.addLayer(lower), try b.addLayer(upper)]
        try b.tag(try b.addImage(layers: layers), "v1")
        try registry.push(layout: b.dir, tag: "v1", as: "links:v1")

        let fetch = env.rkt(["fetch", "docker://\(registry.host)/links:v1"])
        #expect(fetch.exit == 0, "\(fetch)")
        let out = env.tmpDir + "/render"
        let render = env.rkt(["image", "render", "--rootfs-only", "127.0.0.1_\(registry.port)/links:v1", out])
        #expect(render.exit == 0, "\(render)")
        let fm = FileManager.default
        #expect(((try? fm.contentsOfDirectory(atPath: host)) ?? ["?"]).isEmpty, "written on the host")
        #expect((try? String(contentsOfFile: out + "/abs/pwned", encoding: .utf8)) == "1")
        #expect((try? String(contentsOfFile: out + "/rel/pwned", encoding: .utf8)) == "2")
        #expect((try? String(contentsOfFile: out + "/etc/link/conf", encoding: .utf8)) == "3")
        #expect(!fm.fileExists(atPath: out + "/outside"))
        // overlay2: the lower symlink is hidden by a directory; its target keeps only its own files.
        #expect((try? fm.destinationOfSymbolicLink(atPath: out + "/dirlink")) == nil)
        #expect(((try? fm.contentsOfDirectory(atPath: out + "/dirlink")) ?? []) == ["new"])
        #expect(((try? fm.contentsOfDirectory(atPath: out + "/target")) ?? []) == ["old"])
    }

    @Test("a Docker schema 2 image maps its config: exec, env, workdir, user, ports, volumes, name and labels")
    func schema2ConfigMapping() throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.stage1 = .fly
        env.insecureOptions = Self.insecure
        var b = try OCILayoutBuilder(dir: env.tmpDir + "/layout")
        let base = try b.addLayer(directory: try ImageCache.shared.busyboxRootfs())
        var extra = TarWriter(); extra.dir("srv"); extra.file("srv/motd", "from the image")
        let config = #"""
        {"Entrypoint":["/bin/sh","-c"],"Cmd":["echo \"$GREETING $(pwd) $(id -u):$(id -g)\"; cat motd"],
         "Env":["PATH=/bin:/usr/bin","GREETING=hello"],"WorkingDir":"/srv","User":"1000:1000",
         "ExposedPorts":{"80/tcp":{},"53/udp":{}},"Volumes":{"/data":{}}}
        """#
        try b.tag(try b.addImage(layers: [base, try b.addLayer(extra)], config: config), "v3")
        try registry.push(layout: b.dir, tag: "v3", as: "team/mapped:v3", format: "v2s2")
        let raw = try mustRun("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/team/mapped:v3"])
        #expect(raw.stdout.contains("application/vnd.docker.distribution.manifest.v2+json"), "not schema 2: \(raw.stdout)")

        let url = "docker://\(registry.host)/team/mapped:v3"
        let fetch = env.rkt(["fetch", url])
        #expect(fetch.exit == 0, "\(fetch)")
        let name = "127.0.0.1_\(registry.port)/team/mapped"
        let cat = env.rkt(["image", "cat-manifest", "\(name):v3"])
        #expect(cat.exit == 0, "\(cat)")
        let m = try #require(try JSONSerialization.jsonObject(with: Data(cat.stdout.utf8)) as? [String: Any])
        #expect(m["name"] as? String == name)
        let labels = Dictionary(uniqueKeysWithValues: ((m["labels"] as? [[String: String]]) ?? []).compactMap { l in l["name"].map { ($0, l["value"] ?? "") } })
        #expect(labels == ["version": "v3", "os": "linux", "arch": "amd64"])
        let app = try #require(m["app"] as? [String: Any])
        #expect(app["exec"] as? [String] == ["/bin/sh", "-c", #"echo "$GREETING $(pwd) $(id -u):$(id -g)"; cat motd"#])
        #expect(app["user"] as? String == "1000")
        #expect(app["group"] as? String == "1000")
        #expect(app["workingDirectory"] as? String == "/srv")
        let envVars = ((app["environment"] as? [[String: String]]) ?? []).map { "\($0["name"] ?? "")=\($0["value"] ?? "")" }
        #expect(envVars == ["PATH=/bin:/usr/bin", "GREETING=hello"])
        let ports = ((app["ports"] as? [[String: Any]]) ?? []).map { "\($0["name"] ?? "") \($0["protocol"] ?? "") \($0["port"] ?? "")" }
        #expect(ports == ["53-udp udp 53", "80-tcp tcp 80"])
        let mounts = ((app["mountPoints"] as? [[String: Any]]) ?? []).map { "\($0["name"] ?? "") \($0["path"] ?? "")" }
        #expect(mounts == ["volume-data /data"])
        let ann = ((m["annotations"] as? [[String: String]]) ?? []).map { $0["name"] ?? "" }
        #expect(ann.contains("appc.io/docker/manifesthash"), "\(cat.stdout)")

        // Like rkt fly, the fly stage1 wants a volume for every mount point.
        let data = env.tmpDir + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: false)
        let run = env.run(["--volume=volume-data,kind=host,source=\(data)", url])
        #expect(run.exit == 0, "\(run)")
        #expect(run.stdout.contains("hello /srv 1000:1000"), "\(run)")
        #expect(run.stdout.contains("from the image"), "\(run)")
    }

    @Test("a five-layer image: layers download in parallel and stack in order")
    func fiveLayersInParallel() throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let front = try RegistryFront(upstream: registry, blobDelay: 0.5)
        defer { front.stop() }
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = Self.insecure
        var b = try OCILayoutBuilder(dir: env.tmpDir + "/layout")
        var layers: [OCILayoutBuilder.Descriptor] = []
        for i in 1...5 {
            var t = TarWriter()
            t.file("layer\(i)", "\(i)")
            t.file("top", "\(i)")
            layers.append(try b.addLayer(t))
        }
        try b.tag(try b.addImage(layers: layers), "five")
        try registry.push(layout: b.dir, tag: "five", as: "five:five")

        let fetch = env.rkt(["fetch", "docker://\(front.host)/five:five"])
        #expect(fetch.exit == 0, "\(fetch)")
        let blobGets = front.log.filter { $0.hasPrefix("GET /v2/five/blobs/") }
        #expect(blobGets.count == 6, "\(front.log)")  // the config and five layers
        #expect(front.maxBlobsInFlight >= 2, "\(front.log)")
        let out = env.tmpDir + "/render"
        let render = env.rkt(["image", "render", "--rootfs-only", "127.0.0.1_\(front.port)/five:five", out])
        #expect(render.exit == 0, "\(render)")
        for i in 1...5 {
            #expect((try? String(contentsOfFile: out + "/layer\(i)", encoding: .utf8)) == "\(i)")
        }
        #expect((try? String(contentsOfFile: out + "/top", encoding: .utf8)) == "5")
    }
}

extension DockerRegistryTests {
    /// Builds a one-layer image holding `file` and pushes it as `name` (`repo:tag`).
    static func pushOneFileImage(_ registry: TestRegistry, _ env: RktTestEnv, as name: String, file: String, content: String) throws {
        let tag = String(name.split(separator: ":").last ?? "latest")
        var b = try OCILayoutBuilder(dir: env.tmpDir + "/layout-" + UUID().uuidString.prefix(8))
        var t = TarWriter(); t.file(file, content)
        try b.tag(try b.addImage(layers: [try b.addLayer(t)]), tag)
        try registry.push(layout: b.dir, tag: tag, as: name)
    }

    /// An `auth.d` dockerAuth entry for `registry` in the test's local config.
    static func writeDockerAuth(_ env: RktTestEnv, registry: String, user: String, password: String) throws {
        let dir = env.localConfig + "/auth.d"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let json = #"{"rktKind":"dockerAuth","rktVersion":"v1","registries":["\#(registry)"],"credentials":{"user":"\#(user)","password":"\#(password)"}}"#
        try json.write(toFile: dir + "/docker.json", atomically: true, encoding: .utf8)
    }

    @Test("bearer tokens: the challenge's realm is asked with the dockerAuth credentials, then every request carries the token")
    func bearerTokenAuth() throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let front = try RegistryFront(upstream: registry, bearer: ("bob", "hunter2"))
        defer { front.stop() }
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = Self.insecure
        try Self.pushOneFileImage(registry, env, as: "private/app:v1", file: "secret", content: "token-protected")
        let url = "docker://\(front.host)/private/app:v1"

        // No credentials: the token server says no, and the fetch says why.
        let before = StoreSnapshot(env)
        let anonymous = env.rkt(["fetch", url])
        #expect(anonymous.exit == 254, "\(anonymous)")
        #expect(anonymous.stderr.contains("unable to retrieve auth token: 401 unauthorized"), "\(anonymous)")
        #expect(StoreSnapshot(env) == before)

        try Self.writeDockerAuth(env, registry: front.host, user: "bob", password: "hunter2")
        let fetch = env.rkt(["fetch", url])
        #expect(fetch.exit == 0, "\(fetch)")
        let tokenAsks = front.log.filter { $0.hasPrefix("token ") }.map { $0.removingPercentEncoding ?? $0 }
        #expect(tokenAsks.contains { $0.contains("service=rkt-test-registry") && $0.contains("scope=repository:private/app:pull") && $0.hasSuffix("basic=ok") }, "\(front.log)")
        let blobGets = front.log.filter { $0.hasPrefix("GET /v2/private/app/blobs/") }
        #expect(blobGets.count == 2, "\(front.log)")
        #expect(blobGets.allSatisfy { $0.hasSuffix("auth=Bearer") }, "\(front.log)")
        let list = env.rkt(["image", "list", "--no-legend"])
        #expect(list.stdout.contains("127.0.0.1_\(front.port)/private/app:v1"), "\(list)")
    }

    @Test("basic auth: docker-registry with htpasswd takes the dockerAuth credentials and refuses wrong ones")
    func basicAuth() throws {
        let registry = try TestRegistry(htpasswdUser: "alice")
        defer { registry.stop() }
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = Self.insecure
        try Self.pushOneFileImage(registry, env, as: "alice/app:v1", file: "who", content: "alice")
        let url = "docker://\(registry.host)/alice/app:v1"

        let before = StoreSnapshot(env)
        let anonymous = env.rkt(["fetch", url])
        #expect(anonymous.exit == 254, "\(anonymous)")
        #expect(anonymous.stderr.contains("requires credentials"), "\(anonymous)")
        #expect(anonymous.stderr.contains("dockerAuth"), "\(anonymous)")

        try Self.writeDockerAuth(env, registry: registry.host, user: "alice", password: "wrong")
        let wrong = env.rkt(["fetch", url])
        #expect(wrong.exit == 254, "\(wrong)")
        #expect(wrong.stderr.contains("refused the credentials"), "\(wrong)")
        #expect(StoreSnapshot(env) == before)

        try Self.writeDockerAuth(env, registry: registry.host, user: "alice", password: "s3cret")
        let fetch = env.rkt(["fetch", url])
        #expect(fetch.exit == 0, "\(fetch)")
        let out = env.tmpDir + "/render"
        let render = env.rkt(["image", "render", "--rootfs-only", "127.0.0.1_\(registry.port)/alice/app:v1", out])
        #expect(render.exit == 0, "\(render)")
        #expect((try? String(contentsOfFile: out + "/who", encoding: .utf8)) == "alice")
    }

    @Test("a plain-HTTP registry needs --insecure-options=http, and the error says so")
    func plainHTTPNeedsFlag() throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = "image"
        let before = StoreSnapshot(env)
        let r = env.rkt(["fetch", "docker://\(registry.host)/busybox:latest"])
        #expect(r.exit == 254, "\(r)")
        let lines = errorLines(r, containing: "--insecure-options=http")
        #expect(lines.count == 1, "\(r)")
        #expect(lines.first?.contains("cannot reach registry \(registry.host) over https") == true, "\(r)")
        #expect(StoreSnapshot(env) == before)
    }

    @Test("downloads draw progress bars when stderr is a terminal, and print nothing otherwise")
    func progressOnlyOnTerminal() throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = Self.insecure
        var b = try OCILayoutBuilder(dir: env.tmpDir + "/layout")
        var t1 = TarWriter(); t1.file("a", String(repeating: "a", count: 5000))
        var t2 = TarWriter(); t2.file("b", "b")
        let layers = [try b.addLayer(t1), try b.addLayer(t2)]
        try b.tag(try b.addImage(layers: layers), "v1")
        try registry.push(layout: b.dir, tag: "v1", as: "bars:v1")
        try registry.push(layout: b.dir, tag: "v1", as: "quiet:v1")

        let pty = try env.spawnPty(["fetch", "docker://\(registry.host)/bars:v1"])
        let full = "] " // a finished bar ends with `] SIZE/SIZE`
        for l in layers {
            // The same 20-wide bar as an ACI download's (rkt's ioprogress look).
            #expect(pty.expect("Downloading \(l.digest.prefix(19)): [\(String(repeating: "=", count: 20))\(full)"), "\(l.digest)")
        }
        let done = pty.wait()
        #expect(done.exit == 0, "\(done)")

        let quiet = env.rkt(["fetch", "docker://\(registry.host)/quiet:v1"])
        #expect(quiet.exit == 0, "\(quiet)")
        #expect(!quiet.stderr.contains("Downloading"), "\(quiet)")
        #expect(!quiet.stderr.contains("\u{1B}["), "\(quiet)")
    }
}
