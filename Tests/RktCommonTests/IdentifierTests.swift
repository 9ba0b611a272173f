import RktCommon
import Testing

@Suite("AC identifiers and names")
struct IdentifierTests {
    @Test(
        "AC identifier validity",
        arguments: [
            ("example.com/reduce-worker", true),
            ("coreos.com/etcd", true),
            ("a", true),
            ("a~b_c.d-e/f", true),
            ("0.1", true),
            ("", false),
            ("Example.com", false),
            ("-a", false),
            ("a/", false),
            ("a..b", false),
            ("a//b", false),
            ("a b", false),
            ("a:b", false),
            ("é", false),
        ])
    func identifier(s: String, valid: Bool) {
        #expect(ACIdentifier.isValid(s) == valid)
        #expect(((try? ACIdentifier.validate(s)) != nil) == valid)
    }

    @Test(
        "AC name validity",
        arguments: [
            ("etcd", true), ("reduce-worker", true), ("a1-b2", true), ("My_App", false), ("-x", false), ("x-", false),
            ("a--b", false), ("a.b", false), ("a/b", false), ("", false),
        ])
    func name(s: String, valid: Bool) {
        #expect(ACName.isValid(s) == valid)
    }

    @Test(
        "sanitizers lowercase, replace and trim",
        arguments: [
            ("EXAMPLE.com", "example.com", "example-com"),
            ("-/app.name-test/-/", "app.name-test", "app-name-test"),
            ("My App!", "my_app", "my-app"),
            ("a::b", "a_b", "a-b"),
        ])
    func sanitize(input: String, identifier: String, name: String) throws {
        #expect(try ACIdentifier.sanitize(input) == identifier)
        #expect(try ACName.sanitize(input) == name)
        #expect(ACIdentifier.isValid(try ACIdentifier.sanitize(input)))
        #expect(ACName.isValid(try ACName.sanitize(input)))
    }

    @Test("sanitizing nothing but separators fails")
    func sanitizeEmpty() {
        #expect(throws: RktError.self) { try ACName.sanitize("---") }
        #expect(throws: RktError.self) { try ACIdentifier.sanitize("") }
    }

    @Test(
        "default app name is the sanitized last component of the image name",
        arguments: [
            ("coreos.com/etcd", "etcd"),
            ("example.com/reduce-worker", "reduce-worker"),
            ("registry-1.docker.io/library/nginx", "nginx"),
            ("example.com/My_App", "my-app"),
            ("busybox", "busybox"),
            ("example.com/app.v2", "app-v2"),
        ])
    func defaultAppName(image: String, app: String) throws {
        #expect(try ACName.defaultAppName(forImage: image) == app)
    }

    @Test(
        "semver parsing",
        arguments: [
            ("0.8.11", true), ("0.8.11+git", true), ("1.0.0-rc.1", true), ("0.1.0-alpha+001", true), ("0.8", false),
            ("01.2.3", false), ("1.2.3-01", false), ("v1.2.3", false), ("", false), ("1.2.3-", false),
        ])
    func semver(s: String, valid: Bool) {
        #expect((ACVersion.parseSemVer(s) != nil) == valid)
    }

    @Test("acVersion must be a non-zero 0.x semver")
    func acVersion() throws {
        try ACVersion.validate("0.8.11")
        try ACVersion.validate("0.8.11+git")
        #expect(throws: RktError.self) { try ACVersion.validate("0.0.0") }
        #expect(throws: RktError.self) { try ACVersion.validate("2.0.0") }
        #expect(throws: RktError.self) { try ACVersion.validate("") }
    }
}

@Suite("image IDs and pod UUIDs")
struct ImageIDTests {
    static let full = "sha512-" + String(repeating: "0123456789abcdef", count: 8)

    @Test(
        "image ID validation",
        arguments: [
            (full, true), ("sha512-aa", true), ("sha512-a", false), ("sha512-", false), ("sha256-aa", false),
            ("sha512-AA", false), ("sha512-zz", false), ("aa", false), (full + "0", false),
        ])
    func validate(id: String, valid: Bool) {
        #expect(ImageID.isValid(id) == valid)
    }

    @Test("short forms")
    func shortForms() throws {
        #expect(ImageID.storeKey(Self.full).count == 71)
        #expect(ImageID.fetchForm(Self.full) == "sha512-0123456789abcdef0123456789abcdef")
        #expect(ImageID.listForm(Self.full) == "sha512-0123456789ab")
        #expect(ImageID.storeKey("sha512-abc") == "sha512-abc")
        #expect(try ImageID.normalizePrefix(Self.full) == ImageID.storeKey(Self.full))
        #expect(throws: RktError.self) { try ImageID.normalizePrefix("sha256-aa") }
        #expect(throws: RktError.self) { try ImageID.normalizePrefix("sha512-a") }
        #expect(ImageID.fromDigest(hex: "ABCD") == "sha512-abcd")
    }

    @Test("UUIDs parse, format and reject garbage")
    func uuid() throws {
        let u = try PodUUID("6E4A5E9D-3A4B-4B0C-8D2E-1F2A3B4C5D6E")
        #expect(u.description == "6e4a5e9d-3a4b-4b0c-8d2e-1f2a3b4c5d6e")
        #expect(try PodUUID("6e4a5e9d3a4b4b0c8d2e1f2a3b4c5d6e") == u)
        #expect(u.hexString == "6e4a5e9d3a4b4b0c8d2e1f2a3b4c5d6e")
        for bad in ["", "6e4a5e9d-3a4b-4b0c-8d2e", "6e4a5e9d_3a4b-4b0c-8d2e-1f2a3b4c5d6e", "00000000-0000-0000-0000-000000000000",
                    "zz4a5e9d-3a4b-4b0c-8d2e-1f2a3b4c5d6e"] {
            #expect(throws: RktError.self) { try PodUUID(bad) }
        }
    }

    @Test("random UUIDs are version 4, RFC 4122 variant and distinct")
    func randomUUID() throws {
        let a = PodUUID.random()
        let b = PodUUID.random()
        #expect(a != b)
        let s = a.description
        #expect(s.count == 36)
        #expect(Array(s)[14] == "4")
        #expect("89ab".contains(Array(s)[19]))
        #expect(try PodUUID(s) == a)
    }
}
