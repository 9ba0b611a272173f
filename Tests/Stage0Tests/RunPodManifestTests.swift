import RktCommon
import RktJSON
import Testing
@testable import Stage0
@testable import Stage0Core

@Suite("rkt run pod manifest generation")
struct RunPodManifestTests {
    static let imageID = "sha512-" + String(repeating: "ab", count: 32)

    static func image(_ name: String = "example.com/env-printer", app: App? = App(exec: ["/printer"])) -> ImageManifest {
        ImageManifest(name: name, labels: [Label(name: "os", value: "linux"), Label(name: "arch", value: "amd64")], app: app)
    }

    func build(_ args: [String], images: [ImageManifest], host: [KeyValue] = []) throws -> PodManifest {
        var o = try RunArgParser(command: .run).parse(args)
        try o.validate(for: .run)
        var resolved: [ResolvedApp] = []
        for (i, app) in o.apps.enumerated() {
            resolved.append(ResolvedApp(cli: app, imageID: Self.imageID, manifest: images[min(i, images.count - 1)]))
        }
        return try PodManifestBuilder(options: o, hostEnvironment: host, uid: 0, gid: 0).build(apps: resolved)
    }

    func env(_ pm: PodManifest, _ i: Int = 0) -> [String] {
        (pm.apps[i].app?.environment ?? []).map { "\($0.name)=\($0.value)" }
    }

    @Test("the rkt run documentation's first environment example")
    func documentedExampleOne() throws {
        let host = [KeyValue("EXAMPLE_ENV", "hello"), KeyValue("EXAMPLE_OVERRIDE", "under")]
        let pm = try build(["--inherit-env", "--set-env=FOO=bar", "--set-env=EXAMPLE_OVERRIDE=over", "example.com/env-printer"],
                           images: [Self.image()], host: host)
        #expect(env(pm) == ["EXAMPLE_ENV=hello", "EXAMPLE_OVERRIDE=over", "FOO=bar"])
    }

    @Test("the rkt run documentation's second environment example (--environment wins)")
    func documentedExampleTwo() throws {
        let host = [KeyValue("EXAMPLE_ENV", "hello"), KeyValue("EXAMPLE_OVERRIDE", "under")]
        let pm = try build(["--inherit-env", "--set-env=FOO=bar", "--set-env=EXAMPLE_OVERRIDE=over",
                            "example.com/env-printer", "--environment=EXAMPLE_OVERRIDE=ride"],
                           images: [Self.image()], host: host)
        #expect(env(pm) == ["EXAMPLE_ENV=hello", "EXAMPLE_OVERRIDE=ride", "FOO=bar"])
    }

    @Test("inherited variables never override the image's")
    func inheritedDoesNotOverrideImage() throws {
        let img = Self.image(app: App(exec: ["/x"], environment: [EnvironmentVariable(name: "V", value: "manifest")]))
        let pm = try build(["--inherit-env", "img"], images: [img], host: [KeyValue("V", "host"), KeyValue("W", "host")])
        #expect(env(pm) == ["V=manifest", "W=host"])
        let without = try build(["img"], images: [img], host: [KeyValue("W", "host")])
        #expect(env(without) == ["V=manifest"])
    }

    @Test("app name, exec and args, user/group and pod annotations follow rkt")
    func basicFields() throws {
        let pm = try build(["img", "--exec=/bin/ov", "--user=200", "--group=300", "--working-dir=/w", "--", "-v"],
                           images: [Self.image("example.com/My_Worker")])
        let ra = pm.apps[0]
        #expect(ra.name == "my-worker")
        #expect(ra.image.id == Self.imageID && ra.image.name == "example.com/My_Worker")
        #expect(ra.app?.exec == ["/bin/ov", "-v"])
        #expect(ra.app?.user == "200" && ra.app?.group == "300")
        #expect(ra.app?.workingDirectory == "/w")
        #expect(pm.annotations.first { $0.name == "coreos.com/rkt/stage1/mutable" }?.value == "false")
        #expect(pm.acKind == "PodManifest")
    }

    @Test("an image without an app section needs --exec")
    func noAppNeedsExec() throws {
        #expect(throws: RktError.self) { try build(["img"], images: [Self.image(app: nil)]) }
        let pm = try build(["img", "--exec=/inspect"], images: [Self.image(app: nil)])
        #expect(pm.apps[0].app?.exec == ["/inspect"])
        #expect(pm.apps[0].app?.user == "0")
    }

    @Test("--caps-* replace the image's capability isolators; --memory adds one")
    func isolators() throws {
        var app = App(exec: ["/x"])
        app.isolators = [.capabilitiesRemove(["CAP_CHOWN"]), .oomScoreAdj(5)]
        let pm = try build(["img", "--caps-retain=CAP_SYS_ADMIN", "--memory=42Mi", "--oom-score-adj=42"],
                           images: [Self.image(app: app)])
        let names = pm.apps[0].app?.isolators.map(\.name) ?? []
        #expect(names == ["resource/memory", "os/linux/capabilities-retain-set", "os/linux/oom-score-adj"])
        let json = try encodeJSONString(pm)
        #expect(json.contains("\"limit\":\"42Mi\""))
        #expect(json.contains("CAP_SYS_ADMIN") && !json.contains("CAP_CHOWN"))
    }

    @Test("--seccomp replaces image seccomp isolators of either mode")
    func seccomp() throws {
        var app = App(exec: ["/x"])
        app.isolators = [.seccompRemove(["stat"], errno: "EXFULL")]
        let pm = try build(["img", "--seccomp=mode=retain,errno=EPERM,@appc.io/all"], images: [Self.image(app: app)])
        let iso = pm.apps[0].app?.isolators ?? []
        #expect(iso.map(\.name) == ["os/linux/seccomp-retain-set"])
        #expect(try encodeJSONString(iso[0]).contains("EPERM"))
    }

    @Test("per-app mounts come first and a target mounted twice keeps the first")
    func mounts() throws {
        let pm = try build(["--volume=v,kind=host,source=/srv", "--volume=w,kind=empty",
                            "--mount=volume=v,target=/data", "--mount=volume=v,target=/all",
                            "img", "--mount=volume=w,target=/data/"], images: [Self.image()])
        #expect(pm.apps[0].mounts.map(\.volume) == ["w", "v"])
        #expect(pm.apps[0].mounts.map(\.path) == ["/data/", "/all"])
        #expect(pm.volumes.map(\.kind) == ["host", "empty"])
        #expect(pm.volumes[1].mode == "0755" && pm.volumes[1].uid == 0)
    }

    @Test("ports resolve against the apps' ports")
    func ports() throws {
        var app = App(exec: ["/x"])
        app.ports = [Port(name: "http", protocol: "tcp", port: 80)]
        let pm = try build(["--port=http:127.0.0.1:8080", "img"], images: [Self.image(app: app)])
        #expect(pm.ports == [ExposedPort(name: "http", hostPort: 8080, hostIP: "127.0.0.1")])
        #expect(throws: RktError.self) { try build(["--port=ftp:21", "img"], images: [Self.image(app: app)]) }
    }

    @Test("stdio modes become app annotations")
    func stdio() throws {
        let pm = try build(["img", "--stdin=stream", "--stdout=null"], images: [Self.image()])
        #expect(pm.apps[0].annotations.map(\.name) == ["coreos.com/rkt/stage2/stdin", "coreos.com/rkt/stage2/stdout"])
    }

    @Test("image os/arch labels are checked")
    func osArch() throws {
        #expect(throws: Never.self) { try PodManifestBuilder.checkOSArch(Self.image()) }
        let noOS = ImageManifest(name: "x", labels: [Label(name: "arch", value: "amd64")])
        #expect { try PodManifestBuilder.checkOSArch(noOS) } throws: { ($0 as? RktError)?.message == "missing os label in the image manifest" }
        let noArch = ImageManifest(name: "x", labels: [Label(name: "os", value: "linux")])
        #expect { try PodManifestBuilder.checkOSArch(noArch) } throws: { ($0 as? RktError)?.message == "missing arch label in the image manifest" }
        let bsd = ImageManifest(name: "x", labels: [Label(name: "os", value: "freebsd"), Label(name: "arch", value: "amd64")])
        #expect { try PodManifestBuilder.checkOSArch(bsd) } throws: { ($0 as? RktError)?.message.hasPrefix("bad os \"freebsd\"") == true }
    }

    @Test("the generated manifest passes schema validation and round-trips")
    func validates() throws {
        let pm = try build(["--volume=v,kind=host,source=/srv", "img", "--mount=volume=v,target=/d", "--cpu=500m"],
                           images: [Self.image()])
        try pm.validate()
        let back = try decodeJSON(PodManifest.self, from: try encodeJSON(pm))
        #expect(back == pm)
    }
}
