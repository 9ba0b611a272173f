import Foundation
import RktCommon
import Stage0Core
import RktOS

/// Adding keys to the local keystore, shared by `rkt trust` and fetch-time key discovery
/// (rkt: rkt/pubkey/pubkey.go). Keys come from files, `https://` URLs (`http://` only when
/// allowed) or `ac-discovery-pubkeys`; each is shown and confirmed unless review is skipped.
public struct KeyTrust {
    public enum Review: Sendable {
        /// Ask `yes/no` on the terminal.
        case ask
        /// `--skip-fingerprint-review`: print "without fingerprint review".
        case skip
        /// `--trust-keys-from-https` for an https key: accept silently.
        case acceptHTTPS
    }

    public var keystore: Keystore
    public var discovery: DiscoveryClient
    public var allowHTTP: Bool
    /// Reads one answer line; replaced in tests.
    public var readLine: () -> String? = { Swift.readLine(strippingNewline: false) }
    /// Where the review text goes (rkt prints it on stdout).
    public var write: (String) -> Void = { print($0) }

    public init(keystore: Keystore, discovery: DiscoveryClient, allowHTTP: Bool) {
        self.keystore = keystore
        self.discovery = discovery
        self.allowHTTP = allowHTTP
    }

    /// Key locations for `prefix` from meta discovery.
    public func discoverKeys(prefix: String) throws -> [String] {
        do {
            return try discovery.discoverPublicKeys(prefix: prefix)
        } catch {
            throw RktError("error determining key location", cause: error)
        }
    }

    /// Fetches, reviews and stores the key at `location` for `prefix` (nil: root). Returns the
    /// stored path, or nil when the user answered `no`.
    public func add(location: String, prefix: String?, review: Review) throws -> String? {
        let local = try fetch(location)
        defer { if local.temporary { unlink(local.path) } }
        let keys = try GPG.showKeys(local.path)
        guard let primary = keys.first else { throw RktError("cannot read public key \(location)") }
        let isHTTPS = location.hasPrefix("https://")
        switch review {
        case .ask:
            display(keys, prefix: prefix, location: location)
            guard try askYesNo() else {
                write("Not trusting \"\(location)\"")
                return nil
            }
            write("Trusting \"\(location)\" for prefix \"\(prefix ?? "")\" after fingerprint review.")
        case .skip:
            display(keys, prefix: prefix, location: location)
            write("Trusting \"\(location)\" for prefix \"\(prefix ?? "")\" without fingerprint review.")
        case .acceptHTTPS:
            guard isHTTPS else {
                display(keys, prefix: prefix, location: location)
                guard try askYesNo() else { return nil }
                break
            }
            write("Trusting \"\(location)\" for prefix \"\(prefix ?? "")\" without fingerprint review.")
        }
        let path = try keystore.store(keyFile: local.path, fingerprint: primary.fingerprint, prefix: prefix)
        if let prefix {
            write("Added key for prefix \"\(prefix)\" at \"\(path)\"")
        } else {
            write("Added root key at \"\(path)\"")
        }
        return path
    }

    func display(_ keys: [PublicKeyInfo], prefix: String?, location: String) {
        write("Prefix: \"\(prefix ?? "")\"\nKey: \"\(location)\"")
        for k in keys {
            write("GPG key fingerprint is: \(k.displayFingerprint)")
            for id in k.identities { write("\t\(id)") }
        }
    }

    func askYesNo() throws -> Bool {
        while true {
            write("Are you sure you want to trust this key (yes/no)?")
            guard let line = readLine() else { throw RktError("cannot read answer from standard input", causes: ["end of input"]) }
            switch line.trimmingSpaces() {
            case "yes": return true
            case "no": return false
            default: write("Please enter 'yes' or 'no'")
            }
        }
    }

    /// A local copy of the key: the file itself, or a temp download.
    func fetch(_ location: String) throws -> (path: String, temporary: Bool) {
        if location.hasPrefix("http://") && !allowHTTP {
            throw RktError("error fetching key \(location)", causes: ["--insecure-allow-http required for http URLs"])
        }
        if location.hasPrefix("https://") || location.hasPrefix("http://") {
            let (status, body) = try discovery.getBytes(location)
            guard status == 200 else { throw RktError("error fetching key \(location)", causes: ["bad HTTP status code: \(status)"]) }
            let path = try DiscoveryClient.makeTemp()
            guard FileManager.default.createFile(atPath: path, contents: Data(body)) else {
                unlink(path)
                throw RktError("cannot write key \(path)")
            }
            return (path, true)
        }
        let path = location.hasPrefix("file://") ? String(location.dropFirst("file://".count)) : location
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw RktError("error opening key \(path)", causes: ["open \(path): no such file or directory"])
        }
        return (path, false)
    }
}
