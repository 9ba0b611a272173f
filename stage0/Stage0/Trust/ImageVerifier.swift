import Foundation
import RktCommon
import Stage0Core

/// Checks a downloaded or local ACI before it enters the store (rkt: rkt/image/validator.go):
/// the name and labels asked for, then the detached signature against the keyring for the
/// image's name. Nothing here writes to the store.
public struct ImageVerifier: Sendable {
    public var keystore: Keystore

    public init(keystore: Keystore) { self.keystore = keystore }

    /// Reads the `manifest` entry of an ACI file without importing it.
    public static func manifest(ofACI path: String) throws -> StoreManifest {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RktError.errno("cannot open image", path) }
        defer { close(fd) }
        do {
            let stream = try TarStream(fd: fd, source: path)
            while let e = try stream.next() {
                if ACIPath.clean(e.path) == "manifest" {
                    return try StoreManifest(bytes: try stream.readData(limit: ACILayoutValidator.maxManifestSize))
                }
            }
        } catch {
            throw RktError("cannot read image manifest from \(path)", cause: error)
        }
        throw RktError("cannot read image manifest from \(path)", causes: ["no image manifest found in layout"])
    }

    /// rkt's `ValidateName` and `ValidateLabels`: the name must be the one discovered, and every
    /// requested label must be present with the same value (others match anything).
    public static func checkNameAndLabels(manifest: StoreManifest, name: String, labels: [String: String]) throws {
        if manifest.name != name {
            throw RktError("error when validating image", causes: [
                "error when reading the app name: \"\(name)\" app name differs from the discovered one \"\(manifest.name)\"",
            ])
        }
        let have = manifest.labels
        for key in labels.keys.sorted() {
            guard let value = labels[key] else { continue }
            guard let got = have[key] else {
                throw RktError("error when validating image", causes: ["requested label \"\(key)\" not provided by the image manifest"])
            }
            if got != value {
                throw RktError("error when validating image", causes: [
                    "requested value for label \"\(key)\": \"\(value)\" differs from fetched aci label value: \"\(got)\"",
                ])
            }
        }
    }

    /// Verifies `signature` over `image` with the keyring for the image's manifest name and
    /// returns the signer.
    public func verify(image: String, signature: String, name: String) throws -> PublicKeyInfo {
        let ring = try keystore.keyring(forName: name)
        for key in ring {
            // rkt refuses a key whose file name is not its fingerprint.
            let infos = try GPG.showKeys(key.path)
            guard infos.contains(where: { $0.fingerprint == key.fingerprint }) else {
                throw RktError("invalid trusted key file \(key.path)", causes: ["fingerprint mismatch: file name is not the key's fingerprint"])
            }
        }
        do {
            return try GPG.verify(signature: signature, data: image, keyFiles: ring.map(\.path))
        } catch let e as RktError where e.message == "openpgp" {
            throw RktError("image verification failed for \(name)", causes: e.causes)
        }
    }
}
