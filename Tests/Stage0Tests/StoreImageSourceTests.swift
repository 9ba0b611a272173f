import Crypto
import Foundation
import RktCommon
import Testing
@testable import Stage0
@testable import Stage0Core

/// `rkt` (Stage0Core alone) resolves run/prepare images from the store and hands everything else
/// to `rkt-full`: what it resolves must be exactly what `ImageFetcher` would, and what it cannot
/// must throw `NeedsFullStage0` before anything is written.
@Suite("rkt's store-only image source")
struct StoreImageSourceTests {
    struct Fixture {
        let dir: String
        let store: ImageStore
        let context: Stage0Context
        let source: StoreImageSource
        let fetcher: ImageFetcher

        init(_ tag: String, insecure: InsecureOptions = [.image]) throws {
            dir = try StoreTest.tempDir(tag)
            store = try ImageStore(dataDir: "\(dir)/data")
            context = try Stage0Context(dir: "\(dir)/data", systemConfigDir: "\(dir)/none", localConfigDir: "\(dir)/none",
                                        insecure: insecure)
            source = StoreImageSource(context: context, store: store)
            fetcher = ImageFetcher(context: context, store: store)
        }
    }

    func handsOver(_ body: () throws -> String) -> Bool {
        do { _ = try body(); return false } catch is NeedsFullStage0 { return true } catch { return false }
    }

    @Test("hashes and appc names in the store resolve as ImageFetcher resolves them")
    func storeHits() throws {
        let f = try Fixture("hits")
        defer { StoreTest.cleanup(f.dir) }
        let base = try StoreTest.importTar(StoreTest.aci("example.com/base"), into: f.store, dir: f.dir, name: "base")
        let app = try StoreTest.importTar(
            StoreTest.aci("example.com/app", files: ["f": "x"], deps: [["imageName": "example.com/base"]]),
            into: f.store, dir: f.dir, name: "app")
        for ref in [String(app.prefix(30)), "example.com/app", "example.com/base"] {
            let lean = try f.source.fetch(ref, pullPolicy: .new, signature: nil, withDependencies: true)
            let full = try f.fetcher.fetch(ref, pullPolicy: .new, signature: nil, withDependencies: true)
            #expect(lean == full, "\(ref)")
        }
        #expect(try f.source.fetch("example.com/base", pullPolicy: .never, signature: nil, withDependencies: true) == base)
    }

    @Test("downloaded http(s) and docker images resolve from their remote rows unless --pull-policy=update")
    func remoteRows() throws {
        let f = try Fixture("remote")
        defer { StoreTest.cleanup(f.dir) }
        let key = try StoreTest.importTar(StoreTest.aci("example.com/web"), into: f.store, dir: f.dir, name: "web")
        let url = "https://example.com/web.aci"
        let docker = "docker://127.0.0.1:5000/library/busybox:1"
        for u in [url, docker] {
            try f.store.setRemote(RemoteInfo(aciURL: u, sigURL: "", etag: "", blobKey: key, cacheMaxAge: 0, downloadTime: 1))
            #expect(try f.source.fetch(u, pullPolicy: .new, signature: nil, withDependencies: true) == key)
            #expect(try f.fetcher.fetch(u, pullPolicy: .new, signature: nil, withDependencies: true) == key)
            #expect(handsOver { try f.source.fetch(u, pullPolicy: .update, signature: nil, withDependencies: true) })
        }
        // Without --insecure-options=image a docker image is refused; rkt-full says so.
        let strict = try Fixture("remote-strict", insecure: [])
        defer { StoreTest.cleanup(strict.dir) }
        #expect(handsOver { try strict.source.fetch(docker, pullPolicy: .new, signature: nil, withDependencies: true) })
    }

    @Test("names not in the store, files, undownloaded URLs, local OCI layouts and missing dependencies go to rkt-full")
    func handOvers() throws {
        let f = try Fixture("handover")
        defer { StoreTest.cleanup(f.dir) }
        let path = "\(f.dir)/app.aci"
        try StoreTest.write(StoreTest.aci("example.com/app").bytes, to: path)
        _ = try StoreTest.importTar(
            StoreTest.aci("example.com/orphan", deps: [["imageName": "example.com/missing"]]), into: f.store, dir: f.dir, name: "orphan")
        let refs = [
            "example.com/absent", path, "file://" + path, "https://example.com/never.aci", "docker://busybox",
            "oci-layout:\(f.dir)/layout:latest", "docker-archive:\(f.dir)/a.tar", "example.com/orphan",
        ]
        for ref in refs {
            #expect(handsOver { try f.source.fetch(ref, pullPolicy: .new, signature: nil, withDependencies: true) }, "\(ref)")
        }
        #expect(handsOver { try f.source.fetch("example.com/orphan", pullPolicy: .update, signature: nil, withDependencies: false) })
        // Without dependencies (a stage1), the orphan itself is enough.
        #expect(!handsOver { try f.source.fetch("example.com/orphan", pullPolicy: .new, signature: nil, withDependencies: false) })
        // Nothing was imported on the way: the file is still unknown to the store.
        #expect(try f.store.find(name: "example.com/app", labels: HostPlatform.osArch) == nil)
    }

    @Test("an unknown hash is an error of its own, not a hand-over: rkt-full could not find it either")
    func unknownHash() throws {
        let f = try Fixture("hash")
        defer { StoreTest.cleanup(f.dir) }
        do {
            _ = try f.source.fetch("sha512-" + String(repeating: "ab", count: 16), pullPolicy: .new, signature: nil, withDependencies: true)
            Issue.record("resolved an unknown hash")
        } catch let e as RktError {
            #expect(e.description.hasPrefix("cannot resolve image ID"))
        }
    }

    @Test("SHA-512 through libcrypto equals swift-crypto's, in one call and in pieces")
    func sha512() {
        #expect(StoreFS.hex(SHA512Digest.hash(data: Array("abc".utf8))).hasPrefix("ddaf35a193617aba"))
        #expect(StoreFS.hex(SHA512Digest.hash(data: [])).hasPrefix("cf83e1357eefb8bd"))
        var g = SystemRandomNumberGenerator()
        let data = (0..<300_001).map { _ in UInt8.random(in: 0...255, using: &g) }
        var h = SHA512Digest()
        var off = 0
        for n in [0, 1, 127, 128, 129, 4096, 100_000] where off + n <= data.count {
            data[off..<off + n].withUnsafeBytes { h.update(bufferPointer: $0) }
            off += n
        }
        h.update(data: Array(data[off...]))
        #expect(h.finalize() == Array(SHA512.hash(data: data)))
    }

    @Test("file URLs decode %XX escapes as Go's url.Parse; a bad escape keeps the text")
    func percentDecoding() throws {
        #expect(ImageReference.percentDecoded("/a%20b/c%2Fd.aci") == "/a b/c/d.aci")
        #expect(ImageReference.percentDecoded("/a%2") == nil)
        #expect(ImageReference.percentDecoded("/a%zz") == nil)
        #expect(try ImageReference.classify("file:///tmp/x%20y.aci") == .file(path: "/tmp/x y.aci"))
        #expect(try ImageReference.classify("file:///tmp/x%zzy.aci") == .file(path: "/tmp/x%zzy.aci"))
    }
}
