import RktCommon
import Testing
@testable import Stage0
@testable import Stage0Core

@Suite("Docker config and manifests map to appc")
struct DockerManifestMappingTests {
    static let config = #"""
    {"architecture":"amd64","os":"linux","created":"2024-01-02T03:04:05Z","author":"me",
     "config":{"User":"daemon","Env":["PATH=/usr/bin:/bin","A=1","NOEQUALS","A=2"],
       "Entrypoint":["/bin/sh","-c"],"Cmd":["echo hi"],"WorkingDir":"/srv",
       "ExposedPorts":{"80/tcp":{},"53/udp":{}},"Volumes":{"/data":{},"/var/tmp":{}},
       "Labels":{"maintainer":"x@example.com"}},
     "rootfs":{"type":"layers","diff_ids":[]}}
    """#

    static func origin(tag: String? = "latest") -> DockerManifestMapper.Origin {
        .init(originalName: "127.0.0.1:5000/busybox", registry: "127.0.0.1:5000", repository: "busybox",
              tag: tag, imageID: "sha256:" + String(repeating: "1", count: 64),
              manifestHash: "sha256:" + String(repeating: "2", count: 64), aciName: "127.0.0.1_5000/busybox")
    }

    @Test("name, labels, annotations and the app section follow docker2aci")
    func fullMapping() throws {
        let c = try DockerImageConfig(parsing: Array(Self.config.utf8))
        let m = try DockerManifestMapper.manifest(config: c, origin: Self.origin())
        #expect(m.name == "127.0.0.1_5000/busybox")
        #expect(m.labels == [Label(name: "version", value: "latest"), Label(name: "os", value: "linux"), Label(name: "arch", value: "amd64")])
        let ann = Dictionary(uniqueKeysWithValues: m.annotations.map { ($0.name, $0.value) })
        #expect(ann["appc.io/docker/registryurl"] == "127.0.0.1:5000")
        #expect(ann["appc.io/docker/repository"] == "busybox")
        #expect(ann["appc.io/docker/imageid"] == "sha256:" + String(repeating: "1", count: 64))
        #expect(ann["appc.io/docker/tag"] == "latest")
        #expect(ann["appc.io/docker/entrypoint"] == #"["/bin/sh","-c"]"#)
        #expect(ann["appc.io/docker/cmd"] == #"["echo hi"]"#)
        #expect(ann["created"] == "2024-01-02T03:04:05Z")
        #expect(ann["authors"] == "me")
        let app = try #require(m.app)
        #expect(app.exec == ["/bin/sh", "-c", "echo hi"])
        #expect(app.user == "daemon")
        #expect(app.group == "daemon")
        #expect(app.workingDirectory == "/srv")
        #expect(app.environment == [EnvironmentVariable(name: "PATH", value: "/usr/bin:/bin"), EnvironmentVariable(name: "A", value: "2")])
        #expect(app.ports.map(\.name) == ["53-udp", "80-tcp"])
        #expect(app.ports.first?.protocol == "udp")
        #expect(app.ports.last?.port == 80)
        #expect(app.mountPoints == [MountPoint(name: "volume-data", path: "/data"), MountPoint(name: "volume-var-tmp", path: "/var/tmp")])
        #expect(app.userLabels == ["maintainer": "x@example.com"])
    }

    @Test("user forms: empty is root, u:g is kept")
    func users() throws {
        var c = DockerImageConfig()
        c.hasRunConfig = true
        var m = try DockerManifestMapper.manifest(config: c, origin: Self.origin())
        #expect(m.app?.user == "0" && m.app?.group == "0")
        c.user = "1000:100"
        m = try DockerManifestMapper.manifest(config: c, origin: Self.origin())
        #expect(m.app?.user == "1000" && m.app?.group == "100")
    }

    @Test("a digest reference has no version label; no config object means no app")
    func noTagNoApp() throws {
        let c = try DockerImageConfig(parsing: Array(#"{"architecture":"arm64","os":"linux"}"#.utf8))
        let m = try DockerManifestMapper.manifest(config: c, origin: Self.origin(tag: nil))
        #expect(m.app == nil)
        #expect(m.labels == [Label(name: "os", value: "linux"), Label(name: "arch", value: "aarch64")])
    }

    @Test("bad configs fail with a clear error", arguments: [
        (#"{"os":"windows","architecture":"amd64","config":{}}"#, "unsupported docker platform windows/amd64"),
        (#"{"os":"linux","architecture":"amd64","config":{"Env":["1BAD=x"]}}"#, "invalid environment variable \"1BAD\""),
        (#"{"os":"linux","architecture":"amd64","config":{"WorkingDir":"rel"}}"#, "is not absolute"),
        (#"{"os":"linux","architecture":"amd64","config":{"ExposedPorts":{"abc/tcp":{}}}}"#, "error parsing port"),
    ])
    func badConfigs(_ json: String, _ fragment: String) throws {
        let c = try DockerImageConfig(parsing: Array(json.utf8))
        #expect {
            try DockerManifestMapper.manifest(config: c, origin: Self.origin())
        } throws: { e in
            String(describing: e).contains(fragment)
        }
    }

    @Test("a port range becomes one port with a count")
    func portRange() throws {
        let ports = try DockerManifestMapper.ports(["8000-8010/tcp"])
        #expect(ports == [Port(name: "8000-8010-tcp", protocol: "tcp", port: 8000, count: 11)])
    }

    static func desc(_ n: Character, os: String = "linux", arch: String, variant: String? = nil) -> String {
        let v = variant.map { #","variant":"\#($0)""# } ?? ""
        return #"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\#(String(repeating: n, count: 64))","size":10,"platform":{"os":"\#(os)","architecture":"\#(arch)"\#(v)}}"#
    }

    @Test("an index picks linux/amd64, and says what exists when nothing matches")
    func indexSelection() throws {
        let body = #"{"schemaVersion":2,"manifests":[\#(Self.desc("a", arch: "arm64", variant: "v8")),\#(Self.desc("b", arch: "amd64")),\#(Self.desc("c", os: "windows", arch: "amd64"))]}"#
        guard case .index(let entries) = try OCIDocument.parse(Array(body.utf8), contentType: OCIMediaType.dockerList) else {
            Issue.record("not an index"); return
        }
        #expect(try OCIDocument.select(entries, arch: "amd64", variant: nil).digest == "sha256:" + String(repeating: "b", count: 64))
        #expect(try OCIDocument.select(entries, arch: "arm64", variant: "v8").digest.hasSuffix("aaaa"))
        #expect {
            try OCIDocument.select(entries, arch: "s390x", variant: nil)
        } throws: { e in
            (e as? RktError)?.message == "no manifest for linux/s390x in index (available: linux/arm64/v8, linux/amd64, windows/amd64)"
        }
    }

    @Test("schema1 manifests and zstd or foreign layers are refused")
    func refusals() throws {
        #expect(throws: RktError.self) { try OCIDocument.parse(Array("{}".utf8), contentType: OCIMediaType.dockerSchema1Signed) }
        #expect(throws: RktError.self) { try OCIMediaType.layerIsSupported("application/vnd.oci.image.layer.v1.tar+zstd") }
        #expect(throws: RktError.self) { try OCIMediaType.layerIsSupported("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip") }
        #expect(throws: Never.self) { try OCIMediaType.layerIsSupported("application/vnd.oci.image.layer.v1.tar+gzip") }
    }
}
