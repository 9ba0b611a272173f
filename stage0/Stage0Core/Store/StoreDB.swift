#if canImport(Glibc)
import Glibc
#endif
import CSQLite
import RktCommon

/// SQLITE_TRANSIENT: tell SQLite to copy bound strings (the Swift buffer dies after the call).
private var sqliteTransient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

/// The image index (`cas/db/rkt.sqlite`). SQLite's file locks plus a busy timeout make it safe for
/// several rkt processes; every write runs in a `BEGIN IMMEDIATE` transaction.
final class StoreDB {
    /// Version 1 is the first release's schema; each later version is one entry of `migrations`.
    static var schemaVersion: Int64 { Int64(migrations.count) + 1 }

    /// `migrations[n - 1]` takes a version-`n` database to version `n + 1` (rkt:
    /// store/imagestore/migrate.go). Append only; never edit a released step.
    static let migrations: [String] = [
        // 1 → 2: image rm and gc delete remote rows by blob key; index it.
        "CREATE INDEX IF NOT EXISTS remote_blobkey ON remote(blobkey);",
    ]

    /// The tables of schema version 1, as the first release created them.
    static let schemaV1 = """
        CREATE TABLE IF NOT EXISTS version(version INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS aciinfo(blobkey TEXT PRIMARY KEY, name TEXT NOT NULL,
          importtime INTEGER NOT NULL, lastused INTEGER NOT NULL, latest INTEGER NOT NULL,
          size INTEGER NOT NULL, treestoresize INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX IF NOT EXISTS aciinfo_name ON aciinfo(name);
        CREATE TABLE IF NOT EXISTS labels(blobkey TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
          PRIMARY KEY(blobkey, name));
        CREATE TABLE IF NOT EXISTS remote(aciurl TEXT PRIMARY KEY, sigurl TEXT, etag TEXT,
          blobkey TEXT NOT NULL, cachemaxage INTEGER NOT NULL, downloadtime INTEGER NOT NULL);
        """
    private let db: OpaquePointer
    let path: String

    init(path: String) throws {
        self.path = path
        var h: OpaquePointer?
        let rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil)
        guard rc == SQLITE_OK, let h else {
            let msg = h.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let h { sqlite3_close(h) }
            throw RktError("cannot open image database \(path)", causes: [msg])
        }
        db = h
        sqlite3_busy_timeout(db, 30_000)
        // A rollback journal emptied at each commit (TRUNCATE), not WAL. In WAL mode the first
        // connection of every rkt process truncates the -shm file and writes its pages back
        // (that is how SQLite resets the shared index): 0.3-1.8 ms of every `rkt run` on an
        // ext4 mounted `discard`, though a run only reads the index. An empty journal costs a
        // reader one stat per statement; a kept one (PERSIST) would be opened and read each
        // time. Writers are rare (imports, renders, gc) and short, each in BEGIN IMMEDIATE, so
        // readers never wait long; the busy timeout covers them.
        _ = chmod(path, 0o660)
        do {
            // A store left in WAL mode by an earlier build converts when no other process has it
            // open; until then SQLite keeps using its WAL, which is just as correct.
            try? exec("PRAGMA journal_mode=TRUNCATE")
            // Fast path for every run after the first: an up-to-date schema needs no write lock.
            let current = try? query("SELECT version FROM version", []) { $0.int(0) }
            if current?.first != StoreDB.schemaVersion { try transaction {
                // A fresh database is created at version 1 and then migrated like an old one, so
                // every store runs the same steps.
                try exec(StoreDB.schemaV1)
                let v = try query("SELECT version FROM version", []) { $0.int(0) }
                var cur: Int64
                if let first = v.first {
                    cur = first
                } else {
                    cur = 1
                    try run("INSERT INTO version VALUES (?)", [.int(cur)])
                }
                guard cur <= StoreDB.schemaVersion else {
                    throw RktError("image database \(path) has schema version \(cur), newer than supported \(StoreDB.schemaVersion)")
                }
                while cur < StoreDB.schemaVersion {
                    do { try exec(StoreDB.migrations[Int(cur) - 1]) } catch {
                        throw RktError("cannot migrate image database \(path) from version \(cur) to \(cur + 1)", cause: error)
                    }
                    cur += 1
                    try run("UPDATE version SET version = ?", [.int(cur)])
                }
            } }
        } catch {
            sqlite3_close(db)
            throw RktError("cannot initialize image database \(path)", cause: error)
        }
    }

    deinit { sqlite3_close(db) }

    enum Value {
        case int(Int64)
        case text(String)
        case null
    }

    struct Row {
        let stmt: OpaquePointer
        func int(_ i: Int32) -> Int64 { sqlite3_column_int64(stmt, i) }
        func text(_ i: Int32) -> String {
            guard let p = sqlite3_column_text(stmt, i) else { return "" }
            return String(cString: p)
        }
        func isNull(_ i: Int32) -> Bool { sqlite3_column_type(stmt, i) == SQLITE_NULL }
    }

    private func error(_ what: String) -> RktError {
        // The extended code tells an I/O error's kind (e.g. 4874 = SQLITE_IOERR_SHMSIZE) apart.
        RktError("image database \(what) failed", causes: ["\(String(cString: sqlite3_errmsg(db))) (code \(sqlite3_extended_errcode(db)))"])
    }

    func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(db, sql, nil, nil, &err) != SQLITE_OK {
            let msg = (err.map { String(cString: $0) } ?? "unknown error") + " (code \(sqlite3_extended_errcode(db)))"
            sqlite3_free(err)
            throw RktError("image database statement failed", causes: [msg])
        }
    }

    private func prepare(_ sql: String, _ args: [Value]) throws -> OpaquePointer {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else { throw error("prepare") }
        for (i, a) in args.enumerated() {
            let idx = Int32(i + 1)
            switch a {
            case .int(let v): sqlite3_bind_int64(stmt, idx, v)
            case .text(let s): sqlite3_bind_text(stmt, idx, s, -1, sqliteTransient)
            case .null: sqlite3_bind_null(stmt, idx)
            }
        }
        return stmt
    }

    func run(_ sql: String, _ args: [Value]) throws {
        let stmt = try prepare(sql, args)
        defer { sqlite3_finalize(stmt) }
        let rc = sqlite3_step(stmt)
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else { throw error("update") }
    }

    func query<T>(_ sql: String, _ args: [Value], _ map: (Row) throws -> T) throws -> [T] {
        let stmt = try prepare(sql, args)
        defer { sqlite3_finalize(stmt) }
        var out: [T] = []
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error("query") }
            out.append(try map(Row(stmt: stmt)))
        }
        return out
    }

    /// Runs `body` in a write transaction taken up front (`BEGIN IMMEDIATE`), so two writers
    /// queue on the busy timeout instead of failing with SQLITE_BUSY halfway through.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try exec("BEGIN IMMEDIATE")
        do {
            let r = try body()
            try exec("COMMIT")
            return r
        } catch {
            try? exec("ROLLBACK")
            throw error
        }
    }
}
