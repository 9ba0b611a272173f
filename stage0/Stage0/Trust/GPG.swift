import Foundation
import RktCommon
import Stage0Core
import RktOS

/// One OpenPGP public key as gpg reports it (`--with-colons`).
public struct PublicKeyInfo: Equatable, Sendable {
    /// Lower-case 40 hex digits of the primary key, the name rkt's keystore files carry.
    public var fingerprint: String
    public var subkeyFingerprints: [String]
    /// User IDs (`Name (comment) <email>`), in the key's order.
    public var identities: [String]

    /// rkt's display form: upper-case groups of four, two spaces in the middle.
    public var displayFingerprint: String {
        let upper = Array(fingerprint.uppercased())
        var groups: [String] = []
        var i = 0
        while i < upper.count {
            groups.append(String(upper[i..<min(i + 4, upper.count)]))
            i += 4
        }
        guard groups.count == 10 else { return groups.joined(separator: " ") }
        return groups[0..<5].joined(separator: " ") + "  " + groups[5..<10].joined(separator: " ")
    }
}

/// GnuPG driven as a helper child. Every call runs with a private `--homedir` in a fresh temp
/// directory that is deleted afterwards, so the user's keyring and agent are never touched and
/// only the keys handed in are trusted (rkt used Go's openpgp with an in-memory keyring).
public enum GPG {
    /// The gpg binary: `$RKT_GPG` (tests), else the first `gpg` on PATH, else /usr/bin/gpg.
    public static var executable: String {
        if let p = Environment.get("RKT_GPG"), !p.isEmpty { return p }
        for dir in (Environment.get("PATH") ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/gpg"
            if access(p, X_OK) == 0 { return p }
        }
        return "/usr/bin/gpg"
    }

    /// The keys in an armored or binary key file.
    public static func showKeys(_ path: String) throws -> [PublicKeyInfo] {
        try withHome { home in
            let out = try run(home: home, ["--with-colons", "--with-fingerprint", "--show-keys", path], what: "read key \(path)")
            let keys = parseColons(out.output)
            guard out.status == .exited(0), !keys.isEmpty else {
                throw RktError("cannot read public key \(path)", causes: [lastLine(out.output) ?? "openpgp: no armored data found"])
            }
            return keys
        }
    }

    /// Verifies the detached `signature` (armored or binary) of `data` against exactly the keys
    /// in `keyFiles`; returns the signing key. Errors carry Go openpgp's wording, which rkt users
    /// and tests grep for.
    public static func verify(signature: String, data: String, keyFiles: [String]) throws -> PublicKeyInfo {
        try withHome { home in
            var known: [PublicKeyInfo] = []
            if !keyFiles.isEmpty {
                let imp = try run(home: home, ["--import"] + keyFiles, what: "import keys")
                guard imp.status == .exited(0) else {
                    throw RktError("cannot import trusted keys", causes: [lastLine(imp.output) ?? "gpg failed"])
                }
                known = parseColons(try run(home: home, ["--with-colons", "--with-fingerprint", "--list-keys"], what: "list keys").output)
            }
            let out = try run(home: home, ["--trust-model", "always", "--status-fd", "1", "--verify", signature, data], what: "verify \(signature)")
            let status = statusLines(out.output)
            if let valid = status.first(where: { $0.first == "VALIDSIG" }), out.status == .exited(0) {
                // The primary key fingerprint is the last field of VALIDSIG (subkey signatures).
                let fpr = (valid.count >= 11 ? valid[10] : valid.count > 1 ? valid[1] : "").lowercased()
                if let key = known.first(where: { $0.fingerprint == fpr || $0.subkeyFingerprints.contains(fpr) }) {
                    return key
                }
                return PublicKeyInfo(fingerprint: fpr, subkeyFingerprints: [], identities: [])
            }
            throw RktError("openpgp", causes: [failureReason(status)])
        }
    }

    /// Maps gpg's status lines to the Go openpgp error rkt printed.
    static func failureReason(_ status: [[String]]) -> String {
        let words = Set(status.compactMap(\.first))
        if words.contains("BADSIG") { return "openpgp: invalid signature: hash tag doesn't match" }
        if words.contains("NO_PUBKEY") || words.contains("ERRSIG") {
            return "openpgp: signature made by unknown entity" + (signerKey(status).map { " (key \($0))" } ?? "")
        }
        if words.contains("EXPKEYSIG") || words.contains("REVKEYSIG") { return "openpgp: key expired or revoked" }
        if words.contains("NODATA") { return "openpgp: invalid data: no signature found" }
        return "openpgp: invalid signature"
    }

    /// The key that made a signature gpg could not check: the fingerprint `ERRSIG` carries in
    /// its 7th field (gpg ≥ 2.2.7), else the long key ID of `ERRSIG`/`NO_PUBKEY`; upper-case hex,
    /// so the user can look it up and `rkt trust` it.
    static func signerKey(_ status: [[String]]) -> String? {
        if let err = status.first(where: { $0.first == "ERRSIG" }) {
            if err.count > 7, !err[7].isEmpty, err[7] != "-" { return err[7].uppercased() }
            if err.count > 1 { return err[1].uppercased() }
        }
        if let np = status.first(where: { $0.first == "NO_PUBKEY" }), np.count > 1 { return np[1].uppercased() }
        return nil
    }

    // MARK: - Plumbing

    static func withHome<T>(_ body: (String) throws -> T) throws -> T {
        var template = Array((NSTemporaryDirectory() + "/rkt-gpg-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buf -> UnsafeMutablePointer<CChar>? in
            guard let base = buf.baseAddress else { return nil }
            return mkdtemp(base)
        }
        guard let made else {
            throw RktError.errno("cannot create gpg home directory", NSTemporaryDirectory())
        }
        let home = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: home) }
        return try body(home)
    }

    static func run(home: String, _ args: [String], what: String) throws -> (status: ExitStatus, output: String) {
        // No agent, no TTY, no user config: a homedir of our own and GNUPGHOME dropped.
        var env = Environment.current().filter { !$0.hasPrefix("GNUPGHOME=") && !$0.hasPrefix("GPG_AGENT_INFO=") }
        env = Environment.setting("LC_ALL", "C", in: env)
        let argv = ["gpg", "--homedir", home, "--batch", "--no-tty", "--no-autostart", "--no-permission-warning"] + args
        let sub = Subprocess(path: executable, argv: argv, env: env)
        do {
            let r = try sub.runCapturingOutput(mergeStderr: true)
            return (r.status, String(decoding: r.output, as: UTF8.self))
        } catch {
            throw RktError("cannot run gpg to \(what)", cause: error)
        }
    }

    static func statusLines(_ out: String) -> [[String]] {
        out.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("[GNUPG:] ") else { return nil }
            return line.dropFirst("[GNUPG:] ".count).split(separator: " ").map(String.init)
        }
    }

    static func lastLine(_ out: String) -> String? {
        out.split(separator: "\n").last(where: { !$0.hasPrefix("[GNUPG:]") }).map { String($0).replacingOccurrences(of: "gpg: ", with: "") }
    }

    /// Parses `pub`/`sub`/`fpr`/`uid` records of gpg's colon listing.
    static func parseColons(_ out: String) -> [PublicKeyInfo] {
        var keys: [PublicKeyInfo] = []
        var inSub = false
        var pendingFpr = false
        for raw in out.split(separator: "\n") {
            let f = raw.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard let kind = f.first else { continue }
            switch kind {
            case "pub":
                keys.append(PublicKeyInfo(fingerprint: "", subkeyFingerprints: [], identities: []))
                inSub = false
                pendingFpr = true
            case "sub":
                inSub = true
                pendingFpr = true
            case "fpr" where pendingFpr && f.count > 9 && !keys.isEmpty:
                pendingFpr = false
                if inSub { keys[keys.count - 1].subkeyFingerprints.append(f[9].lowercased()) } else { keys[keys.count - 1].fingerprint = f[9].lowercased() }
            case "uid" where f.count > 9 && !keys.isEmpty:
                keys[keys.count - 1].identities.append(unescape(f[9]))
            default:
                continue
            }
        }
        return keys.filter { !$0.fingerprint.isEmpty }
    }

    /// gpg escapes `:` and control bytes in colon listings as `\xHH`.
    static func unescape(_ s: String) -> String {
        guard s.contains("\\x") else { return s }
        var bytes: [UInt8] = []
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "\\"), i + 3 < u.count, u[i + 1] == UInt8(ascii: "x"),
               let b = UInt8(String(decoding: u[(i + 2)...(i + 3)], as: UTF8.self), radix: 16) {
                bytes.append(b)
                i += 4
            } else {
                bytes.append(u[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
