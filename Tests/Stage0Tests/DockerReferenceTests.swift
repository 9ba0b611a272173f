import RktCommon
import Testing
@testable import Stage0
@testable import Stage0Core

@Suite("Docker references parse like docker2aci's")
struct DockerReferenceTests {
    @Test("a bare name gets Docker Hub, library/ and latest")
    func defaults() throws {
        let r = try DockerReference(parsing: "busybox")
        #expect(r.registry == "registry-1.docker.io")
        #expect(r.repository == "library/busybox")
        #expect(r.tag == "latest")
        #expect(r.digest == nil)
        #expect(r.aciName == "registry-1.docker.io/library/busybox")
    }

    @Test("a registry with a port, a path and a tag")
    func registryPortTag() throws {
        let r = try DockerReference(parsing: "127.0.0.1:5000/team/app:v1.2")
        #expect(r.registry == "127.0.0.1:5000")
        #expect(r.repository == "team/app")
        #expect(r.tag == "v1.2")
        #expect(r.aciName == "127.0.0.1_5000/team/app")
        #expect(try DockerReference(parsing: "localhost:5000/foo").aciName == "localhost_5000/foo")
    }

    @Test("quay.io names keep their path; docker.io and index.docker.io mean Docker Hub")
    func hosts() throws {
        let q = try DockerReference(parsing: "quay.io/coreos/etcd:v3.3")
        #expect(q.registry == "quay.io" && q.repository == "coreos/etcd" && q.tag == "v3.3")
        #expect(try DockerReference(parsing: "docker.io/nginx").repository == "library/nginx")
        #expect(try DockerReference(parsing: "index.docker.io/nginx").registry == "registry-1.docker.io")
        // A first component without `.`/`:` is part of the repository.
        #expect(try DockerReference(parsing: "someuser/app").repository == "someuser/app")
    }

    @Test("a digest wins over a tag and is what the manifest is fetched by")
    func digest() throws {
        let d = "sha256:" + String(repeating: "ab", count: 32)
        let r = try DockerReference(parsing: "busybox:1.36@\(d)")
        #expect(r.digest == d)
        #expect(r.tag == nil)
        #expect(r.manifestReference == d)
    }

    @Test("upper-case repositories, bad tags and bad digests are invalid docker URLs", arguments: [
        "Busybox", "library/BusyBox:latest", "busybox:-bad", "busybox@sha256:1234", "", "a//b", "busybox:",
    ])
    func invalid(_ s: String) {
        #expect {
            try DockerReference(parsing: s)
        } throws: { e in
            (e as? RktError)?.message.hasPrefix("invalid docker URL \"\(s)\"; expected syntax is") == true
        }
    }

    @Test("oci-layout: and docker-archive: are recognised, with an optional tag")
    func localForms() throws {
        #expect(try LocalOCIReference.parse("oci-layout:/x/img:v1") == .ociLayout(path: "/x/img", tag: "v1"))
        #expect(try LocalOCIReference.parse("oci-layout:rel/img", cwd: "/w") == .ociLayout(path: "/w/rel/img", tag: nil))
        #expect(try LocalOCIReference.parse("docker-archive:/a/b.tar") == .dockerArchive(path: "/a/b.tar"))
        #expect(try LocalOCIReference.parse("docker://busybox") == nil)
        #expect(try LocalOCIReference.parse("example.com/app:1") == nil)
        #expect(throws: RktError.self) { try LocalOCIReference.parse("oci-layout:/x:") }
    }

    @Test("WWW-Authenticate challenges parse with quoted commas")
    func challenge() throws {
        let c = try #require(AuthChallenge(parsing: #"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#))
        #expect(c.scheme == "bearer")
        #expect(c.params["realm"] == "https://auth.example/token")
        #expect(c.params["service"] == "registry.example")
        #expect(c.params["scope"] == "repository:a/b:pull,push")
        #expect(AuthChallenge(parsing: #"Basic realm="r""#)?.scheme == "basic")
    }

    @Test("dockerAuth credentials: by registry host; Docker Hub under any of its names")
    func credentials() throws {
        var config = RktConfig()
        let hub = BasicCredentials(user: "hub", password: "h")
        let local = BasicCredentials(user: "me", password: "m")
        config.dockerCredentialsPerRegistry = ["index.docker.io": hub, "127.0.0.1:5000": local]
        #expect(try DockerReference(parsing: "busybox").credentials(in: config) == hub)
        #expect(try DockerReference(parsing: "docker.io/someone/app").credentials(in: config) == hub)
        #expect(try DockerReference(parsing: "127.0.0.1:5000/app").credentials(in: config) == local)
        #expect(try DockerReference(parsing: "127.0.0.1:5001/app").credentials(in: config) == nil)
        #expect(try DockerReference(parsing: "quay.io/coreos/etcd").credentials(in: config) == nil)
        config.dockerCredentialsPerRegistry = ["docker.io": local]
        #expect(try DockerReference(parsing: "library/nginx:1.25").credentials(in: config) == local)
    }
}
