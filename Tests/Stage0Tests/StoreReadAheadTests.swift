import Foundation
import Testing
@testable import Stage0
@testable import Stage0Core

/// Images are read, decompressed and hashed a few buffers ahead on a thread of their own
/// (`TarReadAhead`); these cases check that what the reader sees is still exactly the stream,
/// and that failures surface once.
@Suite("Image store: read-ahead thread")
struct StoreReadAheadTests {
    /// An image several times the read-ahead ring (8 x 256 KiB), so the producer has to
    /// wait for the consumer many times over.
    static func bigImage() -> TestTar {
        var files: [String: String] = [:]
        for i in 0..<40 {
            // Incompressible-ish content keeps the gzip large too.
            var rng = SystemRandomNumberGenerator()
            files["data/f\(i)"] = String((0..<(200 << 10)).map { _ in Character(UnicodeScalar(UInt8.random(in: 33...126, using: &rng))) })
        }
        return StoreTest.aci("example.com/big", files: files)
    }

    @Test("a gzip image of many buffers imports to the key of its plain tar, stored byte for byte")
    func bigGzip() throws {
        let dir = try StoreTest.tempDir("inflate-big")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        let tar = Self.bigImage().bytes
        try StoreTest.write(tar, to: "\(dir)/big.aci")
        #expect(try StoreTest.run("/usr/bin/gzip", ["-1", "-f", "\(dir)/big.aci"]) == 0)
        let key = try store.importACI(path: "\(dir)/big.aci.gz").key
        #expect(key == StoreTest.key(of: tar))
        #expect(FileManager.default.contents(atPath: store.blobPath(key: key)) == Data(tar))
    }

    @Test("a truncated or corrupted gzip is refused, names the image, and leaves no temp file",
          arguments: ["truncated", "corrupted"])
    func brokenGzip(kind: String) throws {
        let dir = try StoreTest.tempDir("inflate-\(kind)")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        try StoreTest.write(Self.bigImage().bytes, to: "\(dir)/img.aci")
        #expect(try StoreTest.run("/usr/bin/gzip", ["-1", "-f", "\(dir)/img.aci"]) == 0)
        var gz = try #require(FileManager.default.contents(atPath: "\(dir)/img.aci.gz"))
        if kind == "truncated" {
            gz = gz.prefix(gz.count / 2)
        } else {
            for i in stride(from: gz.count / 3, to: gz.count / 3 + 4096, by: 7) { gz[i] ^= 0x5a }
        }
        try gz.write(to: URL(fileURLWithPath: "\(dir)/bad.aci.gz"))
        do {
            _ = try store.importACI(path: "\(dir)/bad.aci.gz")
            Issue.record("a \(kind) gzip was imported")
        } catch {
            #expect("\(error)".contains("bad.aci.gz"), "\(error)")
        }
        #expect(try store.images().isEmpty)
        #expect(StoreTest.list("\(dir)/data/cas/tmp").isEmpty)
    }

    @Test("a reader that stops early (an invalid layout) releases the read-ahead thread without hanging",
          arguments: [false, true])
    func earlyStop(compressed: Bool) throws {
        let dir = try StoreTest.tempDir("inflate-stop")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        var t = Self.bigImage()
        // A stray top-level entry right after the manifest makes validation fail at once.
        t.entries.insert(TestTar.Entry(name: "stray", kind: .file, data: Array("x".utf8)), at: 1)
        try StoreTest.write(t.bytes, to: "\(dir)/stray.aci")
        var path = "\(dir)/stray.aci"
        if compressed {
            #expect(try StoreTest.run("/usr/bin/gzip", ["-1", "-f", path]) == 0)
            path += ".gz"
        }
        #expect(throws: (any Error).self) { try store.importACI(path: path) }
        #expect(try store.images().isEmpty)
    }

    /// The producer may be inside `fill` when the stream is released (reading just the manifest
    /// of a small image, as signature checks do); it must never reach the stream being destroyed
    /// (CI once crashed with "unowned reference ... already destroyed").
    @Test("a stream released while the read-ahead thread is mid-read does not crash",
          arguments: [false, true])
    func releaseMidRead(compressed: Bool) throws {
        let dir = try StoreTest.tempDir("inflate-release")
        defer { StoreTest.cleanup(dir) }
        var path = "\(dir)/small.aci"
        try StoreTest.write(StoreTest.aci("example.com/small", files: ["a": "x", "b": "y"]).bytes, to: path)
        if compressed {
            #expect(try StoreTest.run("/usr/bin/gzip", ["-1", "-f", path]) == 0)
            path += ".gz"
        }
        for i in 0..<3000 {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            try #require(fd >= 0)
            do {
                let stream = try TarStream(fd: fd, source: path)
                // The manifest's header (and sometimes its data), then let go.
                _ = try stream.next()
                if i % 2 == 1 { _ = try stream.readData(limit: 1 << 20) }
            }
            close(fd)
        }
    }
}
