import Foundation
import RktCommon
import Testing

@testable import Stage0
@testable import Stage0Core

@Suite("Fetch: image classification and HTTP cache decisions")
struct FetchClassificationTests {
    func classify(_ s: String, files: Set<String> = []) throws -> ImageReference {
        try ImageReference.classify(s, cwd: "/work", isRegularFile: { files.contains($0) })
    }

    @Test("hashes, paths, URLs, docker and names are told apart as rkt does")
    func classification() throws {
        #expect(try classify("sha512-abc123") == .hash("sha512-abc123"))
        #expect(try classify("/abs/x.aci") == .file(path: "/abs/x.aci"))
        #expect(try classify("./x.aci") == .file(path: "/work/x.aci"))
        #expect(try classify("../y/image") == .file(path: "/y/image"))
        #expect(try classify("stage1.aci") == .file(path: "/work/stage1.aci"))
        #expect(try classify("plainfile", files: ["plainfile"]) == .file(path: "/work/plainfile"))
        #expect(try classify("file:///tmp/a.aci") == .file(path: "/tmp/a.aci"))
        #expect(try classify("https://example.com/x/app.aci") == .url("https://example.com/x/app.aci"))
        #expect(try classify("http://127.0.0.1:8080/app.aci?x=1") == .url("http://127.0.0.1:8080/app.aci?x=1"))
        #expect(try classify("docker://busybox:latest") == .docker("busybox:latest"))
        #expect(try classify("docker:busybox") == .docker("busybox"))
        #expect(try classify("coreos.com/etcd:v2.0.0") == .name(AppName(name: "coreos.com/etcd", labels: ["version": "v2.0.0"])))
        #expect(try classify("busybox:latest") == .name(AppName(name: "busybox", labels: ["version": "latest"])))
        #expect(try classify("example.com/app,os=linux,arch=amd64") == .name(AppName(name: "example.com/app", labels: ["os": "linux", "arch": "amd64"])))
        #expect(try classify("my.aci:1.0") == .name(AppName(name: "my.aci", labels: ["version": "1.0"])))
    }

    @Test("an http URL without the .aci extension and a relative file URL are rejected")
    func invalid() {
        #expect(throws: RktError.self) { try classify("https://example.com/app") }
        #expect(throws: RktError.self) { try classify(":nothing") }
    }

    @Test("the short hash is sha512- plus 32 hex digits")
    func shortHash() {
        let key = "sha512-" + String(repeating: "0123456789abcdef", count: 4)
        #expect(ImageFetcher.shortHash(key) == "sha512-" + String(repeating: "0123456789abcdef", count: 2))
    }

    @Test("Cache-Control max-age follows rkt's getMaxAge")
    func maxAge() {
        #expect(HTTPCache.maxAge(cacheControl: nil) == 0)
        #expect(HTTPCache.maxAge(cacheControl: "max-age=86400") == 86400)
        #expect(HTTPCache.maxAge(cacheControl: "public, max-age=60") == 60)
        #expect(HTTPCache.maxAge(cacheControl: "max-age=60, no-cache") == 0)
        #expect(HTTPCache.maxAge(cacheControl: "max-age=060") == 0)
        #expect(HTTPCache.maxAge(cacheControl: "max-age=abc") == 0)
    }

    @Test("pull policies and freshness decide between store, cache and network")
    func decisions() {
        let t0 = Date(timeIntervalSince1970: 1000)
        let fresh = RemoteCacheEntry(url: "u", etag: "\"e1\"", key: "k", maxAge: 60, downloadTime: t0)
        let stale = RemoteCacheEntry(url: "u", etag: "\"e1\"", key: "k", maxAge: 60, downloadTime: t0.addingTimeInterval(-61))
        let noEtag = RemoteCacheEntry(url: "u", key: "k", maxAge: 0, downloadTime: t0)
        #expect(HTTPCache.decide(remote: fresh, policy: .new, now: t0) == .useStore(key: "k"))
        #expect(HTTPCache.decide(remote: stale, policy: .never, now: t0) == .useStore(key: "k"))
        #expect(HTTPCache.decide(remote: nil, policy: .never, now: t0) == .unavailable)
        #expect(HTTPCache.decide(remote: nil, policy: .new, now: t0) == .download(ifNoneMatch: nil))
        #expect(HTTPCache.decide(remote: fresh, policy: .update, now: t0.addingTimeInterval(59)) == .notExpired(key: "k"))
        #expect(HTTPCache.decide(remote: stale, policy: .update, now: t0) == .download(ifNoneMatch: "\"e1\""))
        #expect(HTTPCache.decide(remote: noEtag, policy: .update, now: t0) == .download(ifNoneMatch: nil))
    }

    @Test("the signature URL replaces .aci with .aci.asc")
    func signatureURL() {
        #expect(HTTPCache.signatureURL(forImageURL: "https://h/x/app.aci") == "https://h/x/app.aci.asc")
        #expect(HTTPCache.signatureURL(forImageURL: "https://h/app.aci?t=1") == "https://h/app.aci.asc?t=1")
    }

    @Test("--signature attaches to the image before it")
    func fetchArguments() throws {
        let r = try FetchArguments.parse(["a.aci", "--signature=a.asc", "b.aci", "--signature", "b.asc", "c.aci"])
        #expect(r == [
            .init(image: "a.aci", signature: "a.asc"), .init(image: "b.aci", signature: "b.asc"),
            .init(image: "c.aci", signature: nil),
        ])
        #expect(throws: RktError.self) { try FetchArguments.parse(["--signature=x", "a.aci"]) }
        #expect(throws: RktError.self) { try FetchArguments.parse(["a.aci", "--bogus"]) }
    }
}
