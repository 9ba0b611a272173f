import Foundation
import RktCommon
import Testing
@testable import Stage0
@testable import Stage0Core

@Suite("Image store rejects hostile and malformed images")
struct StoreHostileTests {
    /// Each case: a tar that must be refused, and a fragment of the expected message.
    static let cases: [(String, String)] = [
        ("traversal", "unsafe file path"),
        ("absolute", "unsafe file path"),
        ("symlink-write-through", "beneath symlink"),
        ("hardlink-escape", "invalid hardlink"),
        ("hardlink-to-later", "invalid hardlink"),
        ("missing-manifest", "no image manifest found"),
        ("duplicate-manifest", "duplicate file entry in archive: manifest"),
        ("duplicate-file", "duplicate file entry in archive: rootfs/a"),
        ("bad-manifest", "image manifest validation failed"),
        ("manifest-is-dir", "image manifest is not a regular file"),
        ("extra-top-level", "unrecognized file path in layout: etc"),
        ("rootfs-prefix", "unrecognized file path in layout: rootfsX"),
        ("no-rootfs", "no rootfs found"),
        ("huge-manifest", "larger than 1 MiB"),
    ]

    static func tar(_ name: String, outside: String) -> TestTar {
        let m = StoreTest.manifest("example.com/evil")
        var t = TestTar()
        switch name {
        case "traversal":
            t.file("manifest", m); t.dir("rootfs"); t.file("rootfs/../../../\(outside.dropFirst())/pwned", "x")
        case "absolute":
            t.file("manifest", m); t.dir("rootfs"); t.file("\(outside)/pwned", "x")
        case "symlink-write-through":
            t.file("manifest", m); t.dir("rootfs"); t.symlink("rootfs/esc", to: outside); t.file("rootfs/esc/pwned", "x")
        case "hardlink-escape":
            t.file("manifest", m); t.dir("rootfs"); t.hardlink("rootfs/passwd", to: "../../etc/passwd")
        case "hardlink-to-later":
            t.file("manifest", m); t.dir("rootfs"); t.hardlink("rootfs/a", to: "rootfs/b"); t.file("rootfs/b", "x")
        case "missing-manifest":
            t.dir("rootfs"); t.file("rootfs/a", "x")
        case "duplicate-manifest":
            t.file("manifest", m); t.dir("rootfs"); t.file("manifest", StoreTest.manifest("example.com/other"))
        case "duplicate-file":
            t.file("manifest", m); t.dir("rootfs"); t.file("rootfs/a", "1"); t.file("./rootfs//a", "2")
        case "bad-manifest":
            t.file("manifest", "{\"acKind\": \"PodManifest\", \"acVersion\": \"0.8.11\", \"name\": \"x\"}"); t.dir("rootfs")
        case "manifest-is-dir":
            t.dir("manifest"); t.dir("rootfs")
        case "extra-top-level":
            t.file("manifest", m); t.dir("rootfs"); t.file("etc/passwd", "x")
        case "rootfs-prefix":
            t.file("manifest", m); t.dir("rootfs"); t.file("rootfsX", "x")
        case "no-rootfs":
            t.file("manifest", m)
        case "huge-manifest":
            t.file("manifest", String(repeating: " ", count: (1 << 20) + 1) + m); t.dir("rootfs")
        default:
            break
        }
        return t
    }

    @Test("each hostile archive is refused and leaves nothing in the store or outside it",
          arguments: StoreHostileTests.cases.map { $0.0 })
    func hostile(_ name: String) throws {
        let dir = try StoreTest.tempDir("hostile")
        defer { StoreTest.cleanup(dir) }
        let outside = "\(dir)/outside"
        let store = try ImageStore(dataDir: "\(dir)/data")
        let expected = StoreHostileTests.cases.first { $0.0 == name }?.1 ?? "?"
        let path = "\(dir)/evil.aci"
        try StoreTest.write(StoreHostileTests.tar(name, outside: outside).bytes, to: path)
        do {
            _ = try store.importACI(path: path)
            Issue.record("\(name): import succeeded")
        } catch let e as RktError {
            #expect(e.debugChain.contains(expected), "\(name): \(e.debugChain)")
        }
        #expect(try store.images().isEmpty)
        #expect(StoreTest.files(under: "\(dir)/data/cas/blob").isEmpty)
        #expect(StoreTest.files(under: "\(dir)/data/cas/imageManifest").isEmpty)
        #expect(StoreTest.list("\(dir)/data/cas/tmp").isEmpty)
        #expect(!StoreTest.exists(outside))
    }

    @Test("extraction resolves a planted symlink inside the root, never on the host")
    func extractorConfinesSymlinks() throws {
        let dir = try StoreTest.tempDir("confine")
        defer { StoreTest.cleanup(dir) }
        let outside = "\(dir)/outside"
        let store = try ImageStore(dataDir: "\(dir)/data")
        // Two layers: the base plants an absolute symlink, the top writes beneath it. Each
        // image alone is valid; only the layering would write through the link.
        let outsideRel = String(outside.dropFirst())
        var base = StoreTest.aci("example.com/base", files: ["\(outsideRel)/keep": "k", "usr/lib/libc": "c"])
        base.symlink("rootfs/esc", to: outside)
        base.symlink("rootfs/up", to: "../../../..")
        base.symlink("rootfs/lib", to: "/usr/lib")
        let baseKey = try StoreTest.importTar(base, into: store, dir: dir, name: "base")
        var top = StoreTest.aci("example.com/top", deps: [["imageName": "example.com/base", "imageID": baseKey]])
        top.file("rootfs/esc/pwned", "x")
        top.file("rootfs/lib/x", "y")
        top.dir("rootfs/up")
        top.file("rootfs/up/pwned", "z")
        let topKey = try StoreTest.importTar(top, into: store, dir: dir, name: "top")
        let id = try TreeStore(store: store).render(key: topKey)
        let rootfs = TreeStore(store: store).rootfsPath(id)
        #expect(!StoreTest.exists(outside))
        #expect(!StoreTest.exists("\(dir)/pwned"))
        // The absolute link resolved inside the rootfs; the lib link was followed inside it too.
        #expect(StoreTest.read("\(rootfs)/\(outsideRel)/pwned") == "x")
        #expect(StoreTest.read("\(rootfs)/usr/lib/x") == "y")
        // A directory entry replaces a symlink of a lower layer instead of following it.
        #expect(StoreTest.read("\(rootfs)/up/pwned") == "z")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: "\(rootfs)/esc")) == outside)
    }
}
