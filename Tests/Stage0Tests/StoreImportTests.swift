import Foundation
import RktCommon
import Testing
@testable import Stage0
@testable import Stage0Core

@Suite("Image store import")
struct StoreImportTests {
    @Test("gzip, bzip2, xz and plain tar of one image import to the same key, the SHA-512 of the plain tar")
    func compressions() throws {
        let dir = try StoreTest.tempDir("compress")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        let tar = StoreTest.aci("example.com/hello", files: ["bin/hello": "hi\n", "etc/motd": "welcome\n"]).bytes
        let plain = "\(dir)/img.aci"
        try StoreTest.write(tar, to: plain)
        var keys: [String] = []
        for (tool, ext) in [("/usr/bin/gzip", "gz"), ("/usr/bin/bzip2", "bz2"), ("/usr/bin/xz", "xz")] {
            let copy = "\(dir)/img-\(ext).aci"
            try StoreTest.write(tar, to: copy)
            #expect(try StoreTest.run(tool, ["-f", copy]) == 0)
            keys.append(try store.importACI(path: "\(copy).\(ext)").key)
        }
        keys.append(try store.importACI(path: plain).key)
        #expect(Set(keys) == [StoreTest.key(of: tar)])
        #expect(keys[0].count == 71)
        let images = try store.images()
        #expect(images.count == 1)
        #expect(images.first?.name == "example.com/hello")
        #expect(images.first?.size == Int64(tar.count))
        // The stored blob is the uncompressed tar, byte for byte.
        #expect(FileManager.default.contents(atPath: store.blobPath(key: keys[0])) == Data(tar))
        #expect(try store.manifest(key: keys[0]).labels["arch"] == "amd64")
        #expect(StoreTest.list("\(dir)/data/cas/tmp").isEmpty)
    }

    @Test("an ACI in a GNU tar made by tar(1) imports")
    func realTar() throws {
        let dir = try StoreTest.tempDir("gnutar")
        defer { StoreTest.cleanup(dir) }
        let layout = "\(dir)/layout"
        try FileManager.default.createDirectory(atPath: "\(layout)/rootfs/bin", withIntermediateDirectories: true)
        try StoreTest.write(Array(StoreTest.manifest("example.com/gnu").utf8), to: "\(layout)/manifest")
        try StoreTest.write(Array("x".utf8), to: "\(layout)/rootfs/bin/x")
        #expect(try StoreTest.run("/usr/bin/tar", ["-C", layout, "-czf", "\(dir)/gnu.aci", "manifest", "rootfs"]) == 0)
        let store = try ImageStore(dataDir: "\(dir)/data")
        let r = try store.importACI(path: "\(dir)/gnu.aci")
        #expect(r.manifest.name == "example.com/gnu")
    }

    @Test("a file that is no tar and no known compression is refused as an unknown image filetype")
    func unknownFiletype() throws {
        let dir = try StoreTest.tempDir("unknown")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        try StoreTest.write(Array("PK\u{3}\u{4} this is a zip, not an ACI".utf8), to: "\(dir)/x.aci")
        do {
            _ = try store.importACI(path: "\(dir)/x.aci")
            Issue.record("import succeeded")
        } catch let e as RktError {
            #expect(e.description.hasSuffix("unknown image filetype"))
        }
        #expect(try store.images().isEmpty)
    }

    @Test("importing the same image twice keeps one image and refreshes it")
    func twice() throws {
        let dir = try StoreTest.tempDir("twice")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        let t = StoreTest.aci("example.com/twice", files: ["a": "1"])
        let k1 = try StoreTest.importTar(t, into: store, dir: dir, name: "a")
        let k2 = try StoreTest.importTar(t, into: store, dir: dir, name: "b", latest: true)
        #expect(k1 == k2)
        #expect(try store.images().count == 1)
        #expect(try store.imageInfo(key: k1)?.latest == true)
    }

    @Test("four threads importing the same image at once end with one image and one key")
    func concurrentImports() throws {
        let dir = try StoreTest.tempDir("concurrent")
        defer { StoreTest.cleanup(dir) }
        let data = "\(dir)/data"
        var files: [String: String] = [:]
        for i in 0..<200 { files["d\(i % 10)/f\(i)"] = String(repeating: "x", count: i * 37) }
        let tar = StoreTest.aci("example.com/race", files: files).bytes
        try StoreTest.write(tar, to: "\(dir)/race.aci")
        // Each importer opens its own store handle, as separate rkt processes would.
        let keys = try ThreadResults.run(4) { _ in try ImageStore(dataDir: data).importACI(path: "\(dir)/race.aci").key }
        #expect(keys.count == 4)
        #expect(Set(keys) == [StoreTest.key(of: tar)])
        let store = try ImageStore(dataDir: data)
        #expect(try store.images().count == 1)
        #expect(StoreTest.list("\(data)/cas/tmp").isEmpty)
        #expect(StoreTest.list("\(data)/cas/blob/sha512").count == 1)
    }

    @Test("temp files left by a killed import are removed when the store is next opened")
    func staleTemporaries() throws {
        let dir = try StoreTest.tempDir("stale")
        defer { StoreTest.cleanup(dir) }
        _ = try ImageStore(dataDir: "\(dir)/data")
        try StoreTest.write(Array(repeating: 7, count: 4096), to: "\(dir)/data/cas/tmp/import-deadbeef")
        let store = try ImageStore(dataDir: "\(dir)/data")
        #expect(StoreTest.list("\(dir)/data/cas/tmp").isEmpty)
        // A temp file whose writer is alive (it holds the flock) is left alone.
        let live = try store.makeTemporary(prefix: "import")
        _ = try ImageStore(dataDir: "\(dir)/data")
        #expect(StoreTest.exists(live.path))
    }

    @Test("the store creates rkt's directory layout with setgid group-writable modes")
    func layout() throws {
        let dir = try StoreTest.tempDir("layout")
        defer { StoreTest.cleanup(dir) }
        _ = try ImageStore(dataDir: "\(dir)/data")
        func mode(_ p: String) -> Int {
            var st = stat()
            _ = stat("\(dir)/data/cas/\(p)", &st)
            return Int(st.st_mode & 0o7777)
        }
        #expect(mode("") == 0o2770)
        #expect(mode("blob") == 0o2770)
        #expect(mode("tmp") == 0o2770)
        #expect(mode("tree") == 0o2700)
        #expect(mode("treestorelocks") == 0o2700)
        #expect(StoreTest.exists("\(dir)/data/cas/db/rkt.sqlite"))
    }
}
