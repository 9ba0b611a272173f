import Foundation
import RktCommon
import Testing
@testable import Stage0
@testable import Stage0Core

@Suite("trusted keystore and signature verification")
struct TrustKeystoreTests {
    let fpA = String(repeating: "a", count: 40)
    let fpB = String(repeating: "b", count: 40)

    func put(_ path: String, _ content: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test("the keyring is system root, local root, then prefixes along the name, system before local")
    func order() throws {
        let dir = try makeTrustTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ks = Keystore(systemConfigDir: dir + "/sys", localConfigDir: dir + "/local")
        try put(dir + "/local/trustedkeys/prefix.d/example.com/app/" + fpB, "key")
        try put(dir + "/sys/trustedkeys/root.d/" + fpA, "key")
        let ring = try ks.keyring(forName: "example.com/app")
        #expect(ring.map(\.fingerprint) == [fpA, fpB])
        #expect(ring[1].path == dir + "/local/trustedkeys/prefix.d/example.com/app/" + fpB)
        // Another name does not see the prefix key; prefixes match whole segments.
        #expect(try ks.keyring(forName: "example.com/application").map(\.fingerprint) == [fpA])
        #expect(try ks.keyring(forName: "other.com/app").map(\.fingerprint) == [fpA])
    }

    @Test("an empty local file masks a system key of the same fingerprint")
    func masking() throws {
        let dir = try makeTrustTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ks = Keystore(systemConfigDir: dir + "/sys", localConfigDir: dir + "/local")
        try put(dir + "/sys/trustedkeys/prefix.d/example.com/" + fpA, "key")
        try put(dir + "/sys/trustedkeys/root.d/" + fpB, "key")
        try put(dir + "/local/trustedkeys/prefix.d/example.com/" + fpA, "")
        #expect(try ks.keyring(forName: "example.com/app").map(\.fingerprint) == [fpB])
        #expect(ks.hasKeys(forName: "example.com/app"))
        try put(dir + "/local/trustedkeys/root.d/" + fpB, "")
        #expect(!ks.hasKeys(forName: "example.com/app"))
    }

    @Test("a key file not named by a fingerprint is an error")
    func badName() throws {
        let dir = try makeTrustTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ks = Keystore(systemConfigDir: dir + "/sys", localConfigDir: dir + "/local")
        try put(dir + "/local/trustedkeys/root.d/not-a-fingerprint", "key")
        #expect(throws: RktError.self) { try ks.keyring(forName: "example.com/app") }
    }

    @Test("prefixes are image-name prefixes without a URL scheme")
    func prefixes() {
        #expect(Keystore.isValidPrefix("example.com/app"))
        #expect(!Keystore.isValidPrefix("https://example.com"))
        #expect(!Keystore.isValidPrefix("Example.com"))
        #expect(!Keystore.isValidPrefix(""))
    }

    @Test("fingerprints display in rkt's grouped upper-case form")
    func display() {
        let k = PublicKeyInfo(fingerprint: "8b86de38890ddb7291867b025210bd8888182190", subkeyFingerprints: [], identities: [])
        #expect(k.displayFingerprint == "8B86 DE38 890D DB72 9186  7B02 5210 BD88 8818 2190")
    }

    @Test("gpg verifies a trusted signature and refuses unknown signers and tampered data")
    func gpgVerify() throws {
        let dir = try makeTrustTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = try TestSigner("Good Signer <good@example.com>", in: dir)
        defer { good.close() }
        let other = try TestSigner("Other Signer <other@example.com>", in: dir)
        defer { other.close() }
        let data = dir + "/image.aci"
        try "image bytes".write(toFile: data, atomically: true, encoding: .utf8)
        let asc = try good.sign(data)

        let ks = Keystore(systemConfigDir: dir + "/sys", localConfigDir: dir + "/local")
        let path = try ks.store(keyFile: good.publicKey, fingerprint: good.fingerprint, prefix: "example.com/app")
        #expect(path == dir + "/local/trustedkeys/prefix.d/example.com/app/" + good.fingerprint)

        let verifier = ImageVerifier(keystore: ks)
        let signer = try verifier.verify(image: data, signature: asc, name: "example.com/app")
        #expect(signer.fingerprint == good.fingerprint)
        #expect(signer.identities == ["Good Signer <good@example.com>"])

        // The key is trusted only for its prefix.
        #expect(
            thrownDescription { _ = try verifier.verify(image: data, signature: asc, name: "other.com/app") }?.hasSuffix("openpgp: signature made by unknown entity (key \(good.fingerprint.uppercased()))") == true)

        // A signature by a key nobody trusted.
        let otherAsc = try other.sign(data, to: dir + "/other.asc")
        #expect(
            thrownDescription { _ = try verifier.verify(image: data, signature: otherAsc, name: "example.com/app") }?.hasSuffix("openpgp: signature made by unknown entity (key \(other.fingerprint.uppercased()))") == true)

        // Tampered data.
        try "image bytes, changed".write(toFile: data, atomically: true, encoding: .utf8)
        #expect(
            thrownDescription { _ = try verifier.verify(image: data, signature: asc, name: "example.com/app") }?.contains("invalid signature") == true)
    }

    @Test("KeyTrust stores a reviewed key and refuses on 'no'")
    func keyTrustReview() throws {
        let dir = try makeTrustTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let signer = try TestSigner("Reviewed <r@example.com>", in: dir)
        defer { signer.close() }
        let ks = Keystore(systemConfigDir: dir + "/sys", localConfigDir: dir + "/local")
        var trust = KeyTrust(keystore: ks, discovery: DiscoveryClient(downloader: HTTPDownloader(), allowHTTP: false), allowHTTP: false)
        var answers = ["maybe\n", "no\n"]
        var out: [String] = []
        trust.readLine = { answers.isEmpty ? nil : answers.removeFirst() }
        trust.write = { out.append($0) }
        #expect(try trust.add(location: signer.publicKey, prefix: "example.com", review: .ask) == nil)
        #expect(out.contains("Please enter 'yes' or 'no'"))
        #expect(!ks.hasKeys(forName: "example.com"))

        answers = ["yes\n"]
        let path = try trust.add(location: signer.publicKey, prefix: nil, review: .ask)
        #expect(path == dir + "/local/trustedkeys/root.d/" + signer.fingerprint)
        #expect(out.contains("Added root key at \"\(dir)/local/trustedkeys/root.d/\(signer.fingerprint)\""))
        #expect(out.contains("\tReviewed <r@example.com>"))
        #expect(throws: RktError.self) { try trust.add(location: "http://127.0.0.1:9/k.gpg", prefix: "x.com", review: .skip) }
    }
}
