import CSQLite
import Foundation
import RktCommon
import Testing
@testable import Stage0
@testable import Stage0Core

/// Schema migrations of `cas/db` and the sweep of data a killed import left unindexed.
@Suite("Image store schema migration and orphan sweep")
struct StoreMaintenanceTests {
    /// Runs SQL against a database file directly, as an older rkt would have left it.
    static func sql(_ path: String, _ statements: String) throws {
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK, let db else { throw RktError("open \(path)") }
        defer { sqlite3_close(db) }
        guard sqlite3_exec(db, statements, nil, nil, nil) == SQLITE_OK else {
            throw RktError("sql: \(String(cString: sqlite3_errmsg(db)))")
        }
    }

    static func scalar(_ path: String, _ query: String) throws -> String? {
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK, let db else { throw RktError("open \(path)") }
        defer { sqlite3_close(db) }
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, query, -1, &stmt, nil) == SQLITE_OK else { throw RktError("prepare \(query)") }
        defer { sqlite3_finalize(stmt) }
        guard sqlite3_step(stmt) == SQLITE_ROW, let p = sqlite3_column_text(stmt, 0) else { return nil }
        return String(cString: p)
    }

    @Test("a version-1 database is migrated in place and keeps its images")
    func migratesVersionOne() throws {
        let dir = try StoreTest.tempDir("migrate")
        defer { StoreTest.cleanup(dir) }
        var key = ""
        do {
            let store = try ImageStore(dataDir: "\(dir)/data")
            key = try StoreTest.importTar(StoreTest.aci("example.com/old"), into: store, dir: dir, name: "old")
        }
        let db = "\(dir)/data/cas/db/rkt.sqlite"
        // Put the database back the way schema version 1 had it.
        try Self.sql(db, "DROP INDEX IF EXISTS remote_blobkey; UPDATE version SET version = 1;")
        #expect(try Self.scalar(db, "SELECT name FROM sqlite_master WHERE name = 'remote_blobkey'") == nil)

        let store = try ImageStore(dataDir: "\(dir)/data")
        #expect(try Self.scalar(db, "SELECT version FROM version") == String(StoreDB.schemaVersion))
        #expect(try Self.scalar(db, "SELECT name FROM sqlite_master WHERE name = 'remote_blobkey'") == "remote_blobkey")
        #expect(try store.images().map(\.key) == [key])
    }

    @Test("a database newer than this rkt is refused with both versions named")
    func refusesNewer() throws {
        let dir = try StoreTest.tempDir("newer")
        defer { StoreTest.cleanup(dir) }
        _ = try ImageStore(dataDir: "\(dir)/data")
        try Self.sql("\(dir)/data/cas/db/rkt.sqlite", "UPDATE version SET version = 99;")
        do {
            _ = try ImageStore(dataDir: "\(dir)/data")
            Issue.record("a version-99 database was opened")
        } catch {
            #expect("\(error)".contains("schema version 99, newer than supported \(StoreDB.schemaVersion)"), "\(error)")
        }
    }

    @Test("image gc removes a blob and manifest that have no index row, and keeps indexed ones")
    func sweepsOrphans() throws {
        let dir = try StoreTest.tempDir("orphan")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        let kept = try StoreTest.importTar(StoreTest.aci("example.com/kept"), into: store, dir: dir, name: "kept")
        let orphan = try StoreTest.importTar(StoreTest.aci("example.com/orphan"), into: store, dir: dir, name: "orphan")
        // What a kill between the blob's rename and the index write leaves: files, no row.
        try Self.sql("\(dir)/data/cas/db/rkt.sqlite",
                     "DELETE FROM aciinfo WHERE blobkey = '\(orphan)'; DELETE FROM labels WHERE blobkey = '\(orphan)';")
        #expect(StoreTest.exists(store.blobPath(key: orphan)))

        let result = store.imageGC(gracePeriod: .seconds(3600), referencedTrees: [])
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.removedOrphans == [orphan])
        #expect(result.removedImages.isEmpty)
        #expect(!StoreTest.exists(store.blobPath(key: orphan)))
        #expect(!StoreTest.exists(store.manifestPath(key: orphan)))
        #expect(StoreTest.exists(store.blobPath(key: kept)))
        #expect(try store.images().map(\.key) == [kept])
    }

    @Test("verifyBlob accepts an intact blob and names a corrupted one")
    func verifyBlob() throws {
        let dir = try StoreTest.tempDir("verifyblob")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        let key = try StoreTest.importTar(StoreTest.aci("example.com/v", files: ["etc/f": "content"]), into: store, dir: dir, name: "v")
        try store.verifyBlob(key: key)
        // Flip one byte of the file's content inside the stored tar.
        let path = store.blobPath(key: key)
        var bytes = try #require(FileManager.default.contents(atPath: path))
        let at = try #require(bytes.firstRange(of: Data("content".utf8))).lowerBound
        bytes[at] ^= 0x20
        try bytes.write(to: URL(fileURLWithPath: path))
        do {
            try store.verifyBlob(key: key)
            Issue.record("a corrupted blob verified")
        } catch {
            #expect("\(error)".contains("is corrupted"), "\(error)")
        }
    }
}
