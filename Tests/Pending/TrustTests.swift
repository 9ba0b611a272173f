import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Signature verification and `rkt trust` (rkt-functional-tests.md §2.8 rkt_trust_test.go, P2-11,
/// P2-15..17). Images are fetched without `--insecure-options=image`; keys are made by gpg.
@Suite("rkt trust and signature verification", .serialized)
struct TrustTests {
    /// A private copy of a test image under `dir`, named `name` (signatures sit next to it).
    func image(_ name: String, in dir: String, version: String = "1.30.0") throws -> String {
        let src = try TestImages.inspect {
            $0.name = name
            $0.setLabel("version", version)
            $0.setExec("/inspect --print-msg=Hello")
        }
        let dst = dir + "/" + name.replacingOccurrences(of: "/", with: "_") + ".aci"
        try? FileManager.default.removeItem(atPath: dst)
        try FileManager.default.copyItem(atPath: src, toPath: dst)
        return dst
    }

    func storeIsEmpty(_ env: RktTestEnv) -> Bool {
        let r = env.rkt(["image", "list", "--no-legend", "--fields=name"])
        return r.exit == 0 && !r.stdout.contains("my-app") && !r.stdout.contains("rkt-disc")
    }

    @Test("the trust flow: unsigned, unknown signer, wrong prefixes, prefix key, root key, tampered image")
    func trustFlow() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = nil
        let key1 = try FTSigner("Key One <one@example.com>", in: env.tmpDir)
        defer { key1.close() }
        let key2 = try FTSigner("Key Two <two@example.com>", in: env.tmpDir)
        defer { key2.close() }
        let a = try image("rkt-prefix.com/my-app", in: env.tmpDir)
        let b = try image("rkt-alternative.com/my-app", in: env.tmpDir)

        // 1. Unsigned.
        var r = env.rkt(["fetch", a])
        #expect(r.exit == 254 && r.stderr.contains("error opening signature file"), "\(r)")
        // 2. Signed, nothing trusted.
        try key1.sign(a)
        try key1.sign(b)
        r = env.rkt(["fetch", a])
        #expect(r.exit == 254 && r.stderr.contains("openpgp: signature made by unknown entity"), "\(r)")
        #expect(storeIsEmpty(env))
        // 3, 4. Wrong prefix for key1; right prefix for key2.
        r = env.rkt(["trust", "--skip-fingerprint-review", "--prefix", "wrong-prefix.com/my-app", key1.publicKey])
        #expect(r.exit == 0 && r.stdout.contains("Added key for prefix \"wrong-prefix.com/my-app\" at"), "\(r)")
        r = env.rkt(["trust", "--skip-fingerprint-review", "--prefix", "rkt-prefix.com/my-app", key2.publicKey])
        #expect(r.exit == 0, "\(r)")
        r = env.rkt(["fetch", a])
        #expect(r.exit == 254 && r.stderr.contains("signature made by unknown entity"), "\(r)")
        // 5. key1 for the right prefix, answering the review on a terminal.
        let pty = try env.spawnPty(["trust", "--prefix", "rkt-prefix.com/my-app", key1.publicKey])
        #expect(pty.expect("Are you sure you want to trust this key"))
        pty.sendLine("yes")
        let tr = pty.wait(timeout: 60)
        #expect(tr.exit == 0 && tr.stdout.contains("Added key for prefix \"rkt-prefix.com/my-app\" at"), "\(tr)")
        #expect(tr.stdout.contains("Key One <one@example.com>"), "\(tr)")
        let keyDir = env.localConfig + "/trustedkeys/prefix.d/rkt-prefix.com/my-app"
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: keyDir)) ?? []).count == 2)
        env.extraGlobalFlags = ["--debug"]
        r = env.rkt(["fetch", a])
        #expect(r.exit == 0 && r.stdout.hasPrefix("sha512-"), "\(r)")
        #expect(r.stderr.contains("signature verified:") && r.stderr.contains("  Key One <one@example.com>"), "\(r)")
        env.extraGlobalFlags = []
        r = env.rkt(["fetch", b])
        #expect(r.exit == 254 && r.stderr.contains("signature made by unknown entity"), "\(r)")
        // 7. Root key: both verify.
        r = env.rkt(["trust", "--root", "--skip-fingerprint-review", key1.publicKey])
        #expect(r.exit == 0 && r.stdout.contains("Added root key at"), "\(r)")
        r = env.rkt(["fetch", b])
        #expect(r.exit == 0, "\(r)")
        // A tampered image with a valid key's old signature.
        let c = try image("rkt-tampered.com/my-app", in: env.tmpDir)
        try key1.sign(c)
        let fh = try FileHandle(forWritingTo: URL(fileURLWithPath: c))
        fh.seekToEndOfFile()
        fh.write(Data(repeating: 0, count: 512))
        fh.closeFile()
        r = env.rkt(["fetch", c])
        #expect(r.exit == 254 && r.stderr.contains("invalid signature"), "\(r)")
        r = env.rkt(["image", "list", "--no-legend", "--fields=name"])
        #expect(!r.stdout.contains("rkt-tampered.com"), "\(r)")
        // --insecure-options=image skips it, with the warning.
        r = env.rkt(["--insecure-options=image", "fetch", c])
        #expect(r.exit == 0 && r.stderr.contains("warning: image signature verification has been disabled"), "\(r)")
    }

    @Test("trust refuses implicit unbounded trust and conflicting flags")
    func trustFlags() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        var r = env.rkt(["trust", "/nonexistent.gpg"])
        #expect(r.exit == 254 && r.stderr.contains("--prefix required"), "\(r)")
        r = env.rkt(["trust", "--root", "--prefix", "x.com", "/nonexistent.gpg"])
        #expect(r.exit == 254 && r.stderr.contains("mutually exclusive"), "\(r)")
        r = env.rkt(["trust", "--prefix", "x.com", "http://127.0.0.1:9/key.gpg"])
        #expect(r.exit == 254 && r.stderr.contains("--insecure-allow-http"), "\(r)")
    }

    @Test("https images: a trusted signature is fetched; a missing one refuses the image")
    func httpsURL() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = "tls"
        let key = try FTSigner("Server Key <srv@example.com>", in: env.tmpDir)
        defer { key.close() }
        let server = try FTHTTPSServer(root: env.tmpDir + "/www")
        defer { server.stop() }
        let img = try image("example.com/my-app", in: server.root)
        var r = env.rkt(["trust", "--root", "--skip-fingerprint-review", key.publicKey])
        #expect(r.exit == 0, "\(r)")
        let url = server.url + "/" + (img as NSString).lastPathComponent
        r = env.rkt(["fetch", url])
        #expect(r.exit == 254 && r.stderr.contains("error downloading the signature file"), "\(r)")
        #expect(storeIsEmpty(env))
        try key.sign(img)
        r = env.rkt(["fetch", url])
        #expect(r.exit == 0 && r.stdout.hasPrefix("sha512-"), "\(r)")
    }

    @Test("discovery of localhost/NAME on 127.0.0.1:443, label checks and a deferred signature")
    func discovery() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = "tls"
        env.extraGlobalFlags = ["--debug"]
        let key = try FTSigner("Disc Key <disc@example.com>", in: env.tmpDir)
        defer { key.close() }
        let server = try FTHTTPSServer(root: env.tmpDir + "/www", port: 443)
        defer { server.stop() }
        try FileManager.default.createDirectory(atPath: server.root + "/localhost", withIntermediateDirectories: true)
        try """
        <html><head><meta name="ac-discovery" content="localhost https://127.0.0.1:443/{name}.{ext}"></head></html>
        """.write(toFile: server.root + "/discovery.html", atomically: true, encoding: .utf8)
        let src = try image("localhost/rkt-disc", in: env.tmpDir, version: "1.2.0")
        let img = server.root + "/localhost/rkt-disc.aci"
        try FileManager.default.copyItem(atPath: src, toPath: img)
        try key.sign(img)
        var r = env.rkt(["trust", "--root", "--skip-fingerprint-review", key.publicKey])
        #expect(r.exit == 0, "\(r)")

        for (name, message) in [
            ("localhost/rkt-disc:2.0", "requested value for label \"version\": \"2.0\" differs from fetched aci label value: \"1.2.0\""),
            ("localhost/rkt-disc,arch=armv7b", "requested value for label \"arch\": \"armv7b\" differs from fetched aci label value: \"amd64\""),
            ("localhost/rkt-disc,unexistinglabel=bla", "requested label \"unexistinglabel\" not provided by the image manifest"),
        ] {
            r = env.rkt(["fetch", name])
            #expect(r.exit == 254 && r.stderr.contains(message), "\(r)")
        }
        #expect(storeIsEmpty(env))

        try "".write(toFile: server.root + "/localhost/rkt-disc.aci.defer", atomically: true, encoding: .utf8)
        r = env.rkt(["fetch", "localhost/rkt-disc"])
        #expect(r.exit == 0 && r.stdout.hasPrefix("sha512-"), "\(r)")
        #expect(r.stderr.contains("searching for app image localhost/rkt-disc"), "\(r)")
        #expect(r.stderr.contains("server requested deferring the signature download"), "\(r)")
        #expect(r.stderr.contains("signature verified:"), "\(r)")
    }
}
