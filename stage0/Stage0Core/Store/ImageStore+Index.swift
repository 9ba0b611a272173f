#if canImport(Glibc)
import Glibc
#endif
import RktCommon
import RktOS

/// A cached remote download (`rkt fetch` of an http(s) or docker URL).
public struct RemoteInfo: Sendable, Equatable {
    public var aciURL: String
    public var sigURL: String
    public var etag: String
    public var blobKey: String
    public var cacheMaxAge: Int64
    /// Nanoseconds since the Unix epoch.
    public var downloadTime: Int64

    public init(aciURL: String, sigURL: String, etag: String, blobKey: String, cacheMaxAge: Int64, downloadTime: Int64) {
        self.aciURL = aciURL
        self.sigURL = sigURL
        self.etag = etag
        self.blobKey = blobKey
        self.cacheMaxAge = cacheMaxAge
        self.downloadTime = downloadTime
    }
}

func nowNanos() -> Int64 {
    var t = timespec()
    clock_gettime(CLOCK_REALTIME, &t)
    return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
}

extension ImageStore {
    static let keyLength = 71
    static let minKeyLength = 9

    /// Resolves an image ID prefix to a full store key (rkt: ResolveKey).
    public func resolveKey(_ prefix: String) throws -> String {
        guard prefix.hasPrefix("sha512-") else { throw RktError("wrong key prefix") }
        guard prefix.count >= ImageStore.minKeyLength else { throw RktError("image ID too short") }
        let key = String(prefix.prefix(ImageStore.keyLength)).lowercased()
        // Only hex digits reach the LIKE pattern, so `%` and `_` never act as wildcards.
        guard key.dropFirst(7).allSatisfy({ $0.isHexDigit }) else { throw RktError("no image IDs found") }
        let keys = try db.query("SELECT blobkey FROM aciinfo WHERE blobkey LIKE ?", [.text(key + "%")]) { $0.text(0) }
        if keys.isEmpty { throw RktError("no image IDs found") }
        if keys.count > 1 { throw RktError("ambiguous image ID: \"\(key)\"") }
        return keys[0]
    }

    private static let infoColumns = "blobkey, name, importtime, lastused, latest, size, treestoresize"

    private static func info(_ r: StoreDB.Row) -> ImageInfo {
        ImageInfo(key: r.text(0), name: r.text(1), importTime: r.int(2), lastUsed: r.int(3),
                  latest: r.int(4) != 0, size: r.int(5), treeStoreSize: r.int(6))
    }

    /// Every image, oldest import first.
    public func images() throws -> [ImageInfo] {
        try db.query("SELECT \(ImageStore.infoColumns) FROM aciinfo ORDER BY importtime", [], ImageStore.info)
    }

    public func imageInfo(key: String) throws -> ImageInfo? {
        try db.query("SELECT \(ImageStore.infoColumns) FROM aciinfo WHERE blobkey = ?", [.text(key)], ImageStore.info).first
    }

    public func labels(key: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for (n, v) in try db.query("SELECT name, value FROM labels WHERE blobkey = ?", [.text(key)], { ($0.text(0), $0.text(1)) }) {
            out[n] = v
        }
        return out
    }

    /// The stored manifest bytes, exactly as in the image.
    public func manifestBytes(key: String) throws -> [UInt8] {
        do { return try StoreFS.readFile(manifestPath(key: key), limit: 1 << 20) } catch {
            throw RktError("cannot read manifest of image \(key)", cause: error)
        }
    }

    /// The validated manifest of a stored image (`.image` is the schema value, `.bytes` the
    /// exact stored JSON).
    public func manifest(key: String) throws -> StoreManifest {
        try storeManifest(key: key)
    }

    func storeManifest(key: String) throws -> StoreManifest {
        if let m = manifests[key] { return m }
        let bytes = try manifestBytes(key: key)
        let m: StoreManifest
        do { m = try StoreManifest(bytes: bytes) } catch {
            throw RktError("cannot read manifest of image \(key)", cause: error)
        }
        manifests[key] = m
        return m
    }

    /// Finds an image by name and labels (rkt: GetACI): every requested label must match; with
    /// no `version` label asked, images flagged latest win; ties go to the newest import.
    public func find(name: String, labels: [String: String] = [:]) throws -> String? {
        let rows = try db.query("SELECT blobkey, latest, importtime FROM aciinfo WHERE name = ?", [.text(name)]) {
            ($0.text(0), $0.int(1) != 0, $0.int(2))
        }
        var best: (key: String, latest: Bool, time: Int64)?
        let preferLatest = labels["version"] == nil
        for (key, latest, time) in rows {
            let have = try self.labels(key: key)
            guard labels.allSatisfy({ have[$0.key] == $0.value }) else { continue }
            if let b = best {
                if preferLatest, b.latest != latest {
                    if latest { best = (key, latest, time) }
                    continue
                }
                if time > b.time { best = (key, latest, time) }
            } else {
                best = (key, latest, time)
            }
        }
        return best?.key
    }

    /// Resolves what users type: an ID prefix (`sha512-…`) or `name[:version]`.
    public func resolve(nameOrKey: String) throws -> String {
        if nameOrKey.hasPrefix("sha512-") { return try resolveKey(nameOrKey) }
        var name = nameOrKey
        var labels: [String: String] = [:]
        if let colon = nameOrKey.lastIndex(of: ":") {
            name = String(nameOrKey[..<colon])
            labels["version"] = String(nameOrKey[nameOrKey.index(after: colon)...])
        }
        guard let key = try find(name: name, labels: labels) else {
            throw RktError("no image found with name \"\(nameOrKey)\"")
        }
        return key
    }

    public func markUsed(key: String) throws {
        try db.transaction {
            try db.run("UPDATE aciinfo SET lastused = ? WHERE blobkey = ?", [.int(nowNanos()), .text(key)])
        }
    }

    func setTreeStoreSize(key: String, size: Int64) throws {
        try db.transaction {
            try db.run("UPDATE aciinfo SET treestoresize = ? WHERE blobkey = ?", [.int(size), .text(key)])
        }
    }

    func upsertImage(key: String, manifest: StoreManifest, size: Int64, latest: Bool) throws {
        let now = nowNanos()
        try db.transaction {
            try db.run("DELETE FROM labels WHERE blobkey = ?", [.text(key)])
            let old = try imageInfo(key: key)
            try db.run("""
                INSERT OR REPLACE INTO aciinfo(blobkey, name, importtime, lastused, latest, size, treestoresize)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [.text(key), .text(manifest.name), .int(now), .int(now), .int(latest ? 1 : 0), .int(size), .int(old?.treeStoreSize ?? 0)])
            for (n, v) in manifest.labels {
                try db.run("INSERT INTO labels(blobkey, name, value) VALUES (?, ?, ?)", [.text(key), .text(n), .text(v)])
            }
        }
    }

    /// Removes an image: index rows first (so it disappears atomically), then blob and manifest,
    /// under the exclusive image key lock (rkt: RemoveACI).
    public func remove(key: String) throws {
        let lock = try FileLock.keyFile(imageLockPath(key: key), exclusive: true)
        defer { _ = lock }
        manifests[key] = nil
        try db.transaction {
            try db.run("DELETE FROM aciinfo WHERE blobkey = ?", [.text(key)])
            try db.run("DELETE FROM labels WHERE blobkey = ?", [.text(key)])
            try db.run("DELETE FROM remote WHERE blobkey = ?", [.text(key)])
        }
        for p in [blobPath(key: key), manifestPath(key: key)] {
            if unlink(p) != 0, errno != ENOENT { throw RktError.errno("cannot remove", p) }
        }
    }

    public func remote(url: String) throws -> RemoteInfo? {
        try db.query("SELECT aciurl, sigurl, etag, blobkey, cachemaxage, downloadtime FROM remote WHERE aciurl = ?", [.text(url)]) {
            RemoteInfo(aciURL: $0.text(0), sigURL: $0.text(1), etag: $0.text(2), blobKey: $0.text(3), cacheMaxAge: $0.int(4), downloadTime: $0.int(5))
        }.first
    }

    public func setRemote(_ r: RemoteInfo) throws {
        try db.transaction {
            try db.run("INSERT OR REPLACE INTO remote(aciurl, sigurl, etag, blobkey, cachemaxage, downloadtime) VALUES (?, ?, ?, ?, ?, ?)",
                       [.text(r.aciURL), .text(r.sigURL), .text(r.etag), .text(r.blobKey), .int(r.cacheMaxAge), .int(r.downloadTime)])
        }
    }

    public func removeRemote(url: String) throws {
        try db.transaction { try db.run("DELETE FROM remote WHERE aciurl = ?", [.text(url)]) }
    }
}
