import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Signature verification, the keystore and `rkt trust` (rkt-functional-tests.md §2.8
/// rkt_trust_test.go, P2-11, P2-15..17). Images are fetched without `--insecure-options=image`;
/// keys are made by gpg; remote cases use `FTServer` (HTTPS with a test CA, in its own netns).
@Suite("rkt trust and signature verification")
struct TrustTests {
    /// A private copy of the inspect image under `dir`, named `name` (signatures sit next to it).
    static func image(_ name: String, in dir: String, version: String = "1.30.0", file: String? = nil) throws -> String {
        let src = try TestImages.inspect {
            $0.name = name
            $0.setLabel("version", version)
            $0.setExec("/inspect --print-msg=Hello")
        }
        let dst = dir + "/" + (file ?? name.replacingOccurrences(of: "/", with: "_") + ".aci")
        try FileManager.default.createDirectory(atPath: (dst as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: dst)
        try FileManager.default.copyItem(atPath: src, toPath: dst)
        return dst
    }

    /// Nothing of a refused image may be left: not in `image list`, not in the CAS.
    static func expectNothingStored(_ env: RktTestEnv, _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(env.storedImageNames() == [], "\(comment)", sourceLocation: sourceLocation)
        #expect(env.casFiles() == [], "\(comment)", sourceLocation: sourceLocation)
    }

    @Test("unsigned, unknown signer, wrong prefix, prefix key after review, root key, tampered image, --insecure-options=image")
    func trustFlow() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = nil
        let key1 = try FTSigner("Key One <one@example.com>", in: env.tmpDir)
        defer { key1.close() }
        let key2 = try FTSigner("Key Two <two@example.com>", in: env.tmpDir)
        defer { key2.close() }
        let a = try Self.image("rkt-prefix.com/my-app", in: env.tmpDir)
        let b = try Self.image("rkt-alternative.com/my-app", in: env.tmpDir)

        // 1. Unsigned.
        var r = env.rkt(["fetch", a])
        #expect(r.exit == 254 && r.stderr.contains("error opening signature file"), "\(r)")
        #expect(r.stderr.contains("--insecure-options=image"), "\(r)")
        Self.expectNothingStored(env)
        // 2. Signed, nothing trusted: the message names the signing key.
        try key1.sign(a)
        try key1.sign(b)
        r = env.rkt(["fetch", a])
        #expect(r.exit == 254 && r.stderr.contains("openpgp: signature made by unknown entity"), "\(r)")
        #expect(r.stderr.lowercased().contains(key1.fingerprint), "\(r)")
        Self.expectNothingStored(env)
        // 3, 4. key1 for a wrong prefix; key2 for the right one.
        r = env.rkt(["trust", "--skip-fingerprint-review", "--prefix", "wrong-prefix.com/my-app", key1.publicKey])
        #expect(r.exit == 0 && r.stdout.contains("Added key for prefix \"wrong-prefix.com/my-app\" at"), "\(r)")
        #expect(r.stdout.contains("without fingerprint review"), "\(r)")
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
        // The keystore layout of rkt: prefix.d/<prefix>/<fingerprint>, the key as given.
        let prefixDir = env.localConfig + "/trustedkeys/prefix.d/rkt-prefix.com/my-app"
        #expect(Set((try? FileManager.default.contentsOfDirectory(atPath: prefixDir)) ?? []) == [key1.fingerprint, key2.fingerprint])
        #expect(FileManager.default.contentsEqual(atPath: prefixDir + "/" + key1.fingerprint, andPath: key1.publicKey))
        #expect(FileManager.default.fileExists(atPath: env.localConfig + "/trustedkeys/prefix.d/wrong-prefix.com/my-app/" + key1.fingerprint))
        env.extraGlobalFlags = ["--debug"]
        r = env.rkt(["fetch", a])
        #expect(r.exit == 0 && r.stdout.hasPrefix("sha512-"), "\(r)")
        #expect(r.stderr.contains("signature verified:") && r.stderr.contains("  Key One <one@example.com>"), "\(r)")
        env.extraGlobalFlags = []
        // The trusted image runs without --insecure-options.
        r = env.run([a])
        #expect(r.exit == 0 && r.stdout.contains("Hello"), "\(r)")
        // 6. key1 is not trusted for the other prefix.
        r = env.rkt(["fetch", b])
        #expect(r.exit == 254 && r.stderr.contains("signature made by unknown entity"), "\(r)")
        // 7. As a root key it is trusted for every name.
        r = env.rkt(["trust", "--root", "--skip-fingerprint-review", key1.publicKey])
        #expect(r.exit == 0 && r.stdout.contains("Added root key at"), "\(r)")
        #expect(FileManager.default.fileExists(atPath: env.localConfig + "/trustedkeys/root.d/" + key1.fingerprint))
        r = env.rkt(["fetch", b])
        #expect(r.exit == 0, "\(r)")

        // A tampered image with a valid key's signature of the original.
        let c = try Self.image("rkt-tampered.com/my-app", in: env.tmpDir)
        try key1.sign(c)
        let fh = try FileHandle(forWritingTo: URL(fileURLWithPath: c))
        fh.seekToEndOfFile()
        fh.write(Data(repeating: 0, count: 512))
        fh.closeFile()
        let before = env.casFiles()
        r = env.rkt(["fetch", c])
        #expect(r.exit == 254 && r.stderr.contains("invalid signature"), "\(r)")
        #expect(!env.storedImageNames().contains("rkt-tampered.com/my-app:1.30.0"))
        #expect(env.casFiles() == before)
        // --insecure-options=image skips the check, with a warning.
        r = env.rkt(["--insecure-options=image", "fetch", c])
        #expect(r.exit == 0 && r.stderr.contains("warning: image signature verification has been disabled"), "\(r)")
        #expect(env.storedImageNames().contains("rkt-tampered.com/my-app:1.30.0"))
    }

    @Test("system keys are used, a local empty file masks one, --signature names the signature file")
    func keystoreLayers() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = nil
        let key = try FTSigner("System Key <sys@example.com>", in: env.tmpDir)
        defer { key.close() }
        let a = try Self.image("example.org/layers", in: env.tmpDir)
        let sig = try key.sign(a, to: env.tmpDir + "/elsewhere.sig")

        // Without --signature, rkt looks for <image>.asc, which does not exist.
        var r = env.rkt(["fetch", a])
        #expect(r.exit == 254 && r.stderr.contains("error opening signature file"), "\(r)")
        // A key in the system configuration (/usr/lib/rkt in production), masked by an empty
        // file of the same name in the local one (/etc/rkt): not trusted.
        let sysDir = env.systemConfig + "/trustedkeys/prefix.d/example.org"
        try FileManager.default.createDirectory(atPath: sysDir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: key.publicKey, toPath: sysDir + "/" + key.fingerprint)
        let localDir = env.localConfig + "/trustedkeys/prefix.d/example.org"
        try FileManager.default.createDirectory(atPath: localDir, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: localDir + "/" + key.fingerprint, contents: nil)
        r = env.rkt(["fetch", a, "--signature", sig])
        #expect(r.exit == 254 && r.stderr.contains("signature made by unknown entity"), "\(r)")
        Self.expectNothingStored(env)
        // A missing --signature file is named.
        try FileManager.default.removeItem(atPath: localDir + "/" + key.fingerprint)
        r = env.rkt(["fetch", a, "--signature", env.tmpDir + "/missing.asc"])
        #expect(r.exit == 254 && r.stderr.contains("missing.asc"), "\(r)")
        Self.expectNothingStored(env)
        // Unmasked, the system key verifies the signature given with --signature.
        r = env.rkt(["fetch", a, "--signature", sig])
        #expect(r.exit == 0 && r.stdout.hasPrefix("sha512-"), "\(r)")
        #expect(env.storedImageNames() == ["example.org/layers:1.30.0"])
    }

    @Test("trust refuses implicit unbounded trust, conflicting flags, plain http keys and bad prefixes")
    func trustFlags() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        var r = env.rkt(["trust", "/nonexistent.gpg"])
        #expect(r.exit == 254 && r.stderr.contains("--prefix required"), "\(r)")
        r = env.rkt(["trust", "--root", "--prefix", "x.com", "/nonexistent.gpg"])
        #expect(r.exit == 254 && r.stderr.contains("mutually exclusive"), "\(r)")
        r = env.rkt(["trust", "--root"])
        #expect(r.exit == 254 && r.stderr.contains("--root requires a key file"), "\(r)")
        r = env.rkt(["trust", "--prefix", "https://x.com", "/nonexistent.gpg"])
        #expect(r.exit == 254 && r.stderr.contains("invalid prefix"), "\(r)")
        r = env.rkt(["trust", "--prefix", "x.com", "--skip-fingerprint-review", "/nonexistent.gpg"])
        #expect(r.exit == 254 && r.stderr.contains("/nonexistent.gpg"), "\(r)")
        r = env.rkt(["trust", "--prefix", "x.com", "http://127.0.0.1:9/key.gpg"])
        #expect(r.exit == 254 && r.stderr.contains("--insecure-allow-http"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: env.localConfig + "/trustedkeys"))
    }

    @Test("https images: the test CA comes from SSL_CERT_FILE; a missing signature refuses the image; --signature")
    func httpsURL() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = nil
        let key = try FTSigner("Server Key <srv@example.com>", in: env.tmpDir)
        defer { key.close() }
        let server = try FTServer(root: env.tmpDir + "/www")
        defer { server.stop() }
        let img = try server.put("images/my-app.aci", copying: try Self.image("example.com/my-app", in: env.tmpDir))
        var r = env.rkt(["trust", "--root", "--skip-fingerprint-review", key.publicKey])
        #expect(r.exit == 0, "\(r)")
        let url = "https://localhost/images/my-app.aci"

        r = env.rkt(in: server, ["fetch", url])
        #expect(r.exit == 254 && r.stderr.contains("error downloading the signature file"), "\(r)")
        #expect(r.stderr.contains("bad HTTP status code: 404"), "\(r)")
        #expect(server.requests(for: "/images/my-app.aci.asc").count == 1)
        #expect(server.requests(for: "/images/my-app.aci").isEmpty, "the image is not downloaded without its signature")
        Self.expectNothingStored(env)

        // Without the test CA the server's certificate is refused, and nothing is fetched.
        try key.sign(img)
        r = env.rkt(in: server, ["fetch", url], env: ["SSL_CERT_FILE": ""])
        #expect(r.exit == 254 && r.stderr.contains("TLS certificate verification failed") && r.stderr.contains("SSL_CERT_FILE"), "\(r)")
        Self.expectNothingStored(env)
        r = env.rkt(in: server, ["fetch", url])
        #expect(r.exit == 0 && r.stdout.hasPrefix("sha512-"), "\(r)")
        #expect(env.storedImageNames() == ["example.com/my-app:1.30.0"])

        // A local signature (--signature) for a remote image that has none on the server.
        let other = try server.put("images/other.aci", copying: try Self.image("example.com/other", in: env.tmpDir))
        let local = try key.sign(other, to: env.tmpDir + "/other.sig")
        r = env.rkt(in: server, ["fetch", "https://localhost/images/other.aci", "--signature", local])
        #expect(r.exit == 0 && r.stdout.hasPrefix("sha512-"), "\(r)")
        #expect(server.requests(for: "/images/other.aci.asc").isEmpty)
    }

    @Test("discovery walks up to the host page, renders {name} {version} {os} {arch} {ext}, checks name and labels, defers signatures")
    func discovery() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = nil
        env.extraGlobalFlags = ["--debug"]
        let key = try FTSigner("Disc Key <disc@example.com>", in: env.tmpDir)
        defer { key.close() }
        let server = try FTServer(root: env.tmpDir + "/www")
        defer { server.stop() }
        try server.putDiscovery(at: "", images: [("localhost", "https://localhost/images/{name}-{version}-{os}-{arch}.{ext}")])
        let arch = hostArch()
        let good = try server.put("images/localhost/rkt-disc-1.2.0-linux-\(arch).aci", copying: try Self.image("localhost/rkt-disc", in: env.tmpDir, version: "1.2.0"))
        try key.sign(good)
        // An image served under another name's URL.
        let wrong = try server.put("images/localhost/rkt-wrong-1.2.0-linux-\(arch).aci", copying: try Self.image("localhost/rkt-other", in: env.tmpDir, version: "1.2.0"))
        try key.sign(wrong)
        var r = env.rkt(["trust", "--root", "--skip-fingerprint-review", key.publicKey])
        #expect(r.exit == 0, "\(r)")

        for (name, message) in [
            ("localhost/rkt-disc:2.0", "requested value for label \"version\": \"2.0\" differs from fetched aci label value: \"1.2.0\""),
            ("localhost/rkt-wrong:1.2.0", "app name differs from the discovered one \"localhost/rkt-other\""),
        ] {
            // 2.0 is a URL the server does not have: make it exist with the 1.2.0 image.
            if name.hasSuffix(":2.0") {
                try key.sign(try server.put("images/localhost/rkt-disc-2.0-linux-\(arch).aci", copying: good))
            }
            r = env.rkt(in: server, ["fetch", name])
            #expect(r.exit == 254 && r.stderr.contains(message), "\(r)")
        }
        for (name, message) in [
            ("localhost/rkt-disc:1.2.0,arch=armv7b", "requested value for label \"arch\": \"armv7b\" differs from fetched aci label value: \"\(arch)\""),
            ("localhost/rkt-disc:1.2.0,unexistinglabel=bla", "requested label \"unexistinglabel\" not provided by the image manifest"),
        ] {
            // Serve the good image at the URL the odd labels render to.
            if name.hasSuffix("armv7b") {
                try key.sign(try server.put("images/localhost/rkt-disc-1.2.0-linux-armv7b.aci", copying: good))
            }
            r = env.rkt(in: server, ["fetch", name])
            #expect(r.exit == 254 && r.stderr.contains(message), "\(r)")
        }
        Self.expectNothingStored(env)

        // Walking up: the name's own level has no page (404), the host's has.
        #expect(server.requests(for: "/rkt-disc?ac-discovery=1").first?.contains(" 404 ") == true, "\(server.requests)")
        #expect(server.requests(for: "/?ac-discovery=1").first?.contains(" 200 ") == true, "\(server.requests)")

        // The signature answers 202 until the image has been downloaded.
        let downloads = server.requests(for: "/images/localhost/rkt-disc-1.2.0-linux-\(arch).aci").count
        try server.put("images/localhost/rkt-disc-1.2.0-linux-\(arch).aci.defer", "")
        r = env.rkt(in: server, ["fetch", "localhost/rkt-disc:1.2.0"])
        #expect(r.exit == 0 && r.stdout.hasPrefix("sha512-"), "\(r)")
        #expect(r.stderr.contains("searching for app image localhost/rkt-disc"), "\(r)")
        #expect(r.stderr.contains("server requested deferring the signature download"), "\(r)")
        #expect(r.stderr.contains("signature verified:"), "\(r)")
        #expect(server.requests(for: "/images/localhost/rkt-disc-1.2.0-linux-\(arch).aci").count == downloads + 1)

        // `run` by name uses the stored image (pull policy new): no further request.
        let count = server.requests.count
        env.extraGlobalFlags = []
        r = env.rkt(in: server, ["run", env.stage1Flag, "localhost/rkt-disc:1.2.0"])
        #expect(r.exit == 0 && r.stdout.contains("Hello"), "\(r)")
        #expect(server.requests.count == count)
    }

    @Test("rkt trust takes keys from files, https URLs, http URLs with --insecure-allow-http, and discovery")
    func trustFromNetwork() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let key = try FTSigner("Net Key <net@example.com>", in: env.tmpDir)
        defer { key.close() }
        let server = try FTServer(root: env.tmpDir + "/www")
        defer { server.stop() }
        try server.put("keys/net.asc", copying: key.publicKey)
        try server.putDiscovery(at: "", keys: [("localhost", "https://localhost/keys/net.asc")])
        let prefixDir = env.localConfig + "/trustedkeys/prefix.d"

        var r = env.rkt(in: server, ["trust", "--prefix", "localhost/by-url", "--skip-fingerprint-review", "https://localhost/keys/net.asc"])
        #expect(r.exit == 0 && r.stdout.contains("Added key for prefix \"localhost/by-url\""), "\(r)")
        #expect(FileManager.default.fileExists(atPath: "\(prefixDir)/localhost/by-url/\(key.fingerprint)"))

        r = env.rkt(in: server, ["trust", "--prefix", "localhost/by-http", "--skip-fingerprint-review", "http://localhost/keys/net.asc"])
        #expect(r.exit == 254 && r.stderr.contains("--insecure-allow-http"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: "\(prefixDir)/localhost/by-http"))
        r = env.rkt(in: server, ["trust", "--prefix", "localhost/by-http", "--skip-fingerprint-review", "--insecure-allow-http", "http://localhost/keys/net.asc"])
        #expect(r.exit == 0 && FileManager.default.fileExists(atPath: "\(prefixDir)/localhost/by-http/\(key.fingerprint)"), "\(r)")

        // No key given: ac-discovery-pubkeys of the prefix (found on the host's page).
        r = env.rkt(in: server, ["trust", "--prefix", "localhost/by-discovery", "--skip-fingerprint-review"])
        #expect(r.exit == 0 && r.stdout.contains("Key: \"https://localhost/keys/net.asc\""), "\(r)")
        #expect(FileManager.default.fileExists(atPath: "\(prefixDir)/localhost/by-discovery/\(key.fingerprint)"))
        #expect(server.requests(for: "/by-discovery?ac-discovery=1").count == 1)

        // Review answered `no` on a terminal: nothing is stored.
        let pty = try env.spawnPty(in: server, ["trust", "--prefix", "localhost/refused", "https://localhost/keys/net.asc"])
        #expect(pty.expect("Are you sure you want to trust this key"))
        pty.sendLine("no")
        let tr = pty.wait(timeout: 60)
        #expect(tr.exit == 0 && tr.stdout.contains("Not trusting"), "\(tr)")
        #expect(!FileManager.default.fileExists(atPath: "\(prefixDir)/localhost/refused"))

        // A key missing on the server is named with the status.
        r = env.rkt(in: server, ["trust", "--prefix", "localhost/x", "--skip-fingerprint-review", "https://localhost/keys/none.asc"])
        #expect(r.exit == 254 && r.stderr.contains("bad HTTP status code: 404"), "\(r)")
    }

    @Test("--trust-keys-from-https trusts the discovered key while fetching; without it the image is refused")
    func trustKeysFromHTTPS() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = nil
        let key = try FTSigner("Auto Key <auto@example.com>", in: env.tmpDir)
        defer { key.close() }
        let server = try FTServer(root: env.tmpDir + "/www")
        defer { server.stop() }
        try server.put("keys/auto.asc", copying: key.publicKey)
        try server.putDiscovery(at: "", images: [("localhost", "https://localhost/{name}.{ext}")], keys: [("localhost", "https://localhost/keys/auto.asc")])
        try key.sign(try server.put("localhost/auto.aci", copying: try Self.image("localhost/auto", in: env.tmpDir)))

        var r = env.rkt(in: server, ["fetch", "localhost/auto"])
        #expect(r.exit == 254 && r.stderr.contains("signature made by unknown entity"), "\(r)")
        Self.expectNothingStored(env)
        #expect(!FileManager.default.fileExists(atPath: env.localConfig + "/trustedkeys"))

        r = env.rkt(in: server, ["--trust-keys-from-https", "fetch", "localhost/auto"])
        #expect(r.exit == 0 && r.stdout.hasPrefix("sha512-"), "\(r)")
        #expect(FileManager.default.fileExists(atPath: env.localConfig + "/trustedkeys/prefix.d/localhost/auto/" + key.fingerprint))
    }

    @Test("on a terminal, fetching a name with no trusted keys offers the discovered key for review")
    func reviewDiscoveredKey() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = nil
        let key = try FTSigner("Review Key <review@example.com>", in: env.tmpDir)
        defer { key.close() }
        let server = try FTServer(root: env.tmpDir + "/www")
        defer { server.stop() }
        try server.put("keys/review.asc", copying: key.publicKey)
        try server.putDiscovery(at: "", images: [("localhost", "https://localhost/{name}.{ext}")], keys: [("localhost", "https://localhost/keys/review.asc")])
        try key.sign(try server.put("localhost/review.aci", copying: try Self.image("localhost/review", in: env.tmpDir)))

        let pty = try env.spawnPty(in: server, ["fetch", "localhost/review"])
        #expect(pty.expect("Are you sure you want to trust this key"))
        pty.sendLine("yes")
        let r = pty.wait(timeout: 120)
        #expect(r.exit == 0 && r.stdout.contains("Review Key <review@example.com>") && r.stdout.contains("sha512-"), "\(r)")
        #expect(FileManager.default.fileExists(atPath: env.localConfig + "/trustedkeys/prefix.d/localhost/review/" + key.fingerprint))
        #expect(env.storedImageNames() == ["localhost/review:1.30.0"])
    }

    @Test("discovery falls back to plain HTTP only with --insecure-options=http")
    func httpFallback() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let server = try FTServer(root: env.tmpDir + "/www", https: false)
        defer { server.stop() }
        try server.putDiscovery(at: "", images: [("localhost", "http://localhost/{name}.{ext}")])
        try server.put("localhost/plain.aci", copying: try Self.image("localhost/plain", in: env.tmpDir))

        var r = env.rkt(in: server, ["fetch", "localhost/plain"])
        #expect(r.exit == 254 && r.stderr.contains("unable to fetch image from image name \"localhost/plain\""), "\(r)")
        #expect(r.stderr.contains("https://localhost?ac-discovery=1") && !r.stderr.contains("http://"), "\(r)")
        #expect(server.requests.isEmpty, "no plain HTTP request without --insecure-options=http: \(server.requests)")
        Self.expectNothingStored(env)

        env.insecureOptions = "image,http"
        r = env.rkt(in: server, ["fetch", "localhost/plain"])
        #expect(r.exit == 0 && r.stdout.hasPrefix("sha512-"), "\(r)")
        #expect(server.requests(for: "/?ac-discovery=1").allSatisfy { $0.hasPrefix("http ") })
        #expect(server.requests(for: "/localhost/plain.aci").count == 1)
    }
}

/// The appc arch label of this host.
func hostArch() -> String {
    var u = utsname()
    uname(&u)
    let machine = withUnsafeBytes(of: &u.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    switch machine {
    case "x86_64": return "amd64"
    case "aarch64": return "arm64"
    default: return machine
    }
}
