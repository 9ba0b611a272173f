import Foundation
import RktCommon
import Stage0Core
import RktOS

/// A key file chosen for a keyring.
public struct TrustedKeyFile: Equatable, Sendable {
    public var fingerprint: String
    public var path: String
}

/// rkt's trusted key store (rkt: pkg/keystore): `<config>/trustedkeys/{root.d,prefix.d/<prefix>}/<fp>`
/// under the system (`/usr/lib/rkt`) and local (`/etc/rkt`) configuration directories.
public struct Keystore: Sendable {
    public var systemConfigDir: String
    public var localConfigDir: String

    public init(systemConfigDir: String, localConfigDir: String) {
        self.systemConfigDir = systemConfigDir
        self.localConfigDir = localConfigDir
    }

    public init(context: Stage0Context) {
        self.init(systemConfigDir: context.systemConfigDir, localConfigDir: context.localConfigDir)
    }

    public static func rootDir(_ configDir: String) -> String { configDir + "/trustedkeys/root.d" }
    public static func prefixDir(_ configDir: String) -> String { configDir + "/trustedkeys/prefix.d" }

    /// The key files that may sign image `name`, in load order: system root, local root, then
    /// every prefix directory on the name's path (at `/` boundaries), system before local. An
    /// empty file masks a key of that fingerprint loaded earlier, so `/etc` can revoke a key
    /// shipped in `/usr/lib`. A file whose name is not a fingerprint is an error.
    public func keyring(forName name: String) throws -> [TrustedKeyFile] {
        var order: [String] = []
        var chosen: [String: String] = [:]
        func load(_ dir: String) throws {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
            for entry in entries.sorted() {
                let path = dir + "/" + entry
                var st = stat()
                guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
                guard Self.isFingerprint(entry) else {
                    throw RktError("invalid trusted key file \(path)", causes: ["file name is not a lower-case hex fingerprint"])
                }
                if st.st_size == 0 {
                    chosen[entry] = nil
                    order.removeAll { $0 == entry }
                } else {
                    if chosen[entry] == nil { order.append(entry) }
                    chosen[entry] = path
                }
            }
        }
        try load(Self.rootDir(systemConfigDir))
        try load(Self.rootDir(localConfigDir))
        let parts = name.split(separator: "/").map(String.init)
        for base in [Self.prefixDir(systemConfigDir), Self.prefixDir(localConfigDir)] where !parts.isEmpty {
            for n in 1...parts.count {
                try load(base + "/" + parts[0..<n].joined(separator: "/"))
            }
        }
        return order.compactMap { fp in chosen[fp].map { TrustedKeyFile(fingerprint: fp, path: $0) } }
    }

    /// Whether any non-masked key would be used for `name` (the discovery trigger of rkt).
    public func hasKeys(forName name: String) -> Bool {
        ((try? keyring(forName: name)) ?? []).isEmpty == false
    }

    /// Copies `keyFile` into the local store for `prefix` (nil: root) under its fingerprint and
    /// returns the new path. The write goes to a temp name and is renamed into place.
    @discardableResult
    public func store(keyFile: String, fingerprint: String, prefix: String?) throws -> String {
        let dir: String
        if let prefix {
            guard Self.isValidPrefix(prefix) else { throw RktError("invalid prefix \"\(prefix)\"") }
            dir = Self.prefixDir(localConfigDir) + "/" + prefix
        } else {
            dir = Self.rootDir(localConfigDir)
        }
        let bytes: [UInt8]
        do { bytes = try FileIO.readFile(keyFile) } catch { throw RktError("cannot read key \(keyFile)", cause: error) }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        } catch {
            throw RktError("cannot create directory \(dir)", cause: error)
        }
        let path = dir + "/" + fingerprint
        do { try FileIO.writeFileAtomic(path, bytes, mode: 0o644) } catch {
            throw RktError("cannot store trusted key \(path)", cause: error)
        }
        return path
    }

    static func isFingerprint(_ s: String) -> Bool {
        s.count == 40 && s.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }

    /// A prefix is an AC identifier: `a-z 0-9 - . _ ~ /`, alphanumeric at both ends, no URL scheme.
    public static func isValidPrefix(_ s: String) -> Bool {
        guard let first = s.first, let last = s.last, !s.contains("://"), !s.contains("..") else { return false }
        let alnum: (Character) -> Bool = { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
        guard alnum(first), alnum(last) else { return false }
        return s.allSatisfy { alnum($0) || "-._~/".contains($0) }
    }
}
