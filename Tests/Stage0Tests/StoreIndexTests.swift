import CSQLite
import Foundation
import RktCommon
import Testing
@testable import Stage0
@testable import Stage0Core

@Suite("Image store index and lookups")
struct StoreIndexTests {
    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test("the index keeps a rollback journal, not a WAL; a WAL index from an earlier build converts")
    func rollbackJournal() throws {
        let dir = try StoreTest.tempDir("journal")
        defer { StoreTest.cleanup(dir) }
        let path = "\(dir)/rkt.sqlite"
        var h: OpaquePointer?
        #expect(sqlite3_open(path, &h) == SQLITE_OK)
        #expect(sqlite3_exec(h, "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1)", nil, nil, nil) == SQLITE_OK)
        var persist: Int32 = 1
        _ = sqlite3_file_control(h, "main", SQLITE_FCNTL_PERSIST_WAL, &persist)
        sqlite3_close(h)
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))

        let db = try StoreDB(path: path)
        #expect(try db.query("PRAGMA journal_mode", []) { $0.text(0) } == ["truncate"])
        try db.transaction { try db.run("INSERT INTO t VALUES (2)", []) }
        #expect(try db.query("SELECT count(*) FROM t", []) { $0.int(0) } == [2])
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        #expect(!FileManager.default.fileExists(atPath: path + "-shm"))
        let journal = try FileManager.default.attributesOfItem(atPath: path + "-journal")
        #expect((journal[.size] as? Int) == 0)
    }

    @Test("ID prefixes resolve as rkt's ResolveKey: too short, not found, ambiguous, unique")
    func resolveKey() throws {
        let dir = try StoreTest.tempDir("resolve")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        // Import images until two share their first two hex digits.
        var byPrefix: [String: String] = [:]
        var pair: (String, String)?
        var i = 0
        while pair == nil, i < 200 {
            let k = try StoreTest.importTar(StoreTest.aci("example.com/img\(i)"), into: store, dir: dir, name: "i\(i)")
            let p = String(k.prefix(9))
            if let other = byPrefix[p] { pair = (other, k) }
            byPrefix[p] = k
            i += 1
        }
        let (a, b) = try #require(pair)
        #expect(message { _ = try store.resolveKey("sha512-") } == "image ID too short")
        #expect(message { _ = try store.resolveKey(String(a.prefix(8))) } == "image ID too short")
        #expect(message { _ = try store.resolveKey(String(a.prefix(9))) }.hasPrefix("ambiguous image ID"))
        let unused = try #require((0..<256).map { "sha512-" + String(format: "%02x", $0) }.first { byPrefix[$0] == nil })
        #expect(message { _ = try store.resolveKey(unused + "341234") } == "no image IDs found")
        #expect(message { _ = try store.resolveKey("md5-1234") } == "wrong key prefix")
        #expect(try store.resolveKey(String(a.prefix(19))) == a)
        #expect(try store.resolveKey(String(b.prefix(19)).uppercased().replacingOccurrences(of: "SHA512-", with: "sha512-")) == b)
        // Longer input (a full 128-hex image ID) is truncated to the 71-character key.
        #expect(try store.resolveKey(a + String(repeating: "0", count: 64)) == a)
    }

    @Test("name lookup prefers latest when no version is asked, else the newest import with matching labels")
    func find() throws {
        let dir = try StoreTest.tempDir("find")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        let v1 = try StoreTest.importTar(StoreTest.aci("example.com/app", labels: ["version": "1.0", "os": "linux"]), into: store, dir: dir, name: "v1", latest: true)
        let v2 = try StoreTest.importTar(StoreTest.aci("example.com/app", labels: ["version": "2.0", "os": "linux"]), into: store, dir: dir, name: "v2")
        #expect(try store.find(name: "example.com/app") == v1)
        #expect(try store.find(name: "example.com/app", labels: ["version": "2.0"]) == v2)
        #expect(try store.find(name: "example.com/app", labels: ["version": "1.0", "os": "linux"]) == v1)
        #expect(try store.find(name: "example.com/app", labels: ["os": "darwin"]) == nil)
        #expect(try store.find(name: "example.com/none") == nil)
        #expect(try store.resolve(nameOrKey: "example.com/app:2.0") == v2)
        #expect(try store.resolve(nameOrKey: String(v2.prefix(20))) == v2)
        #expect(message { _ = try store.resolve(nameOrKey: "some~random~aci~name") }.contains("no image found"))
    }

    @Test("remove deletes rows, blob, manifest and remote entries; remote cache round-trips")
    func removeAndRemote() throws {
        let dir = try StoreTest.tempDir("remove")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        let k = try StoreTest.importTar(StoreTest.aci("example.com/rm"), into: store, dir: dir, name: "rm")
        let r = RemoteInfo(aciURL: "https://example.com/rm.aci", sigURL: "https://example.com/rm.aci.asc", etag: "\"abc\"", blobKey: k, cacheMaxAge: 60, downloadTime: 42)
        try store.setRemote(r)
        #expect(try store.remote(url: r.aciURL) == r)
        try store.markUsed(key: k)
        try store.remove(key: k)
        #expect(try store.images().isEmpty)
        #expect(try store.remote(url: r.aciURL) == nil)
        #expect(!StoreTest.exists(store.blobPath(key: k)))
        #expect(StoreTest.files(under: "\(dir)/data/cas/imageManifest").isEmpty)
    }

    @Test("export writes the stored ACI byte for byte, and actool validates it")
    func export() throws {
        let dir = try StoreTest.tempDir("export")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        let tar = StoreTest.aci("example.com/export", files: ["bin/x": "#!/bin/sh\n"]).bytes
        try StoreTest.write(tar, to: "\(dir)/in.aci")
        #expect(try StoreTest.run("/usr/bin/gzip", ["-f", "\(dir)/in.aci"]) == 0)
        let k = try store.importACI(path: "\(dir)/in.aci.gz").key
        try store.export(key: k, to: "\(dir)/out.aci", overwrite: false)
        #expect(FileManager.default.contents(atPath: "\(dir)/out.aci") == Data(tar))
        #expect(message { try store.export(key: k, to: "\(dir)/out.aci", overwrite: false) }.contains("exists"))
        try store.export(key: k, to: "\(dir)/out.aci", overwrite: true)
        #expect(try StoreTest.run("/usr/bin/actool", ["validate", "\(dir)/out.aci"]) == 0)
    }
}
