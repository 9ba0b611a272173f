import RktCommon
import RktJSON
import Testing

/// Decodes `text` as an image manifest and returns the error message, or nil if it is valid.
func imageManifestError(_ text: String) -> String? {
    do {
        _ = try decodeJSON(ImageManifest.self, from: text)
        return nil
    } catch {
        return "\(error)"
    }
}

/// A minimal valid manifest with `app` replaced by the given JSON.
func manifestWithApp(_ app: String) -> String {
    #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app","app":\#(app)}"#
}

@Suite("image manifest")
struct ImageManifestTests {
    @Test("the spec's example manifest decodes with every field")
    func example() throws {
        let m = try decodeJSON(ImageManifest.self, from: Fixtures.imageManifest)
        #expect(m.name == "example.com/reduce-worker")
        #expect(m.labels["version"] == "1.0.0")
        #expect(m.labels["os"] == "linux")
        let app = try #require(m.app)
        #expect(app.exec == ["/usr/bin/reduce-worker", "--quiet"])
        #expect(app.user == "100")
        #expect(app.supplementaryGIDs == [400, 500])
        #expect(app.eventHandlers.map(\.name) == ["pre-start", "post-stop"])
        #expect(app.workingDirectory == "/opt/work")
        #expect(app.env("REDUCE_WORKER_DEBUG") == "true")
        #expect(app.mountPoints == [MountPoint(name: "work", path: "/var/lib/work")])
        #expect(app.ports == [Port(name: "health", protocol: "tcp", port: 4000, count: 1, socketActivated: true)])
        #expect(app.userLabels == ["a": "1", "b": "2"])
        #expect(app.isolators.count == 3)
        #expect(m.dependencies.first?.size == 1024)
        #expect(m.dependencies.first?.labels["env"] == "canary")
        #expect(m.annotations["homepage"] == "https://example.com")
    }

    @Test("a manifest round-trips through encode and decode")
    func roundTrip() throws {
        let m = try decodeJSON(ImageManifest.self, from: Fixtures.imageManifest)
        let again = try decodeJSON(ImageManifest.self, from: try encodeJSON(m, pretty: true))
        #expect(again == m)
    }

    @Test("encoding follows Go's field order and omits empty fields")
    func encodingShape() throws {
        let m = ImageManifest(name: "example.com/x", labels: [Label(name: "os", value: "linux")], app: App(exec: ["/x"]))
        let s = try encodeJSONString(m)
        #expect(
            s == #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/x","labels":[{"name":"os","value":"linux"}],"app":{"exec":["/x"],"user":"0","group":"0"}}"#
        )
        let full = try encodeJSONValue(try decodeJSON(ImageManifest.self, from: Fixtures.imageManifest))
        #expect(full.objectValue?.keys == ["acKind", "acVersion", "name", "labels", "app", "annotations", "dependencies", "pathWhitelist"])
        // Go sorts map keys.
        #expect(full["app"]?["userLabels"]?.objectValue?.keys == ["a", "b"])
        #expect(full["app"]?["supplementaryGIDs"] == [400, 500])
    }

    @Test(
        "top-level rules reject bad manifests naming the field",
        arguments: [
            (#"{"acKind":"PodManifest","acVersion":"0.8.11","name":"a"}"#, "acKind: missing or bad ACKind"),
            (#"{"acVersion":"0.8.11","name":"a"}"#, "acKind: missing or bad ACKind"),
            (#"{"acKind":"ImageManifest","name":"a"}"#, "acVersion: acVersion must be set"),
            (#"{"acKind":"ImageManifest","acVersion":"0.0.0","name":"a"}"#, "acVersion: SemVer cannot be zero"),
            (#"{"acKind":"ImageManifest","acVersion":"banana","name":"a"}"#, "acVersion: SemVer is bad"),
            (#"{"acKind":"ImageManifest","acVersion":"1.0.0","name":"a"}"#, "acVersion: unsupported major version"),
            (#"{"acKind":"ImageManifest","acVersion":"0.8.11"}"#, "name: name must be set"),
            (#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"Example.com/a"}"#, "name: invalid AC identifier"),
            (#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"a","labels":[{"name":"name","value":"x"}]}"#, #"labels[0].name: invalid label name: "name""#),
            (#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"a","labels":[{"name":"v","value":"1"},{"name":"v","value":"2"}]}"#, #"labels[1]: duplicate labels of name "v""#),
            (#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"a","labels":[{"name":"os","value":"plan9"}]}"#, #"labels: bad os "plan9""#),
            (#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"a","labels":[{"name":"os","value":"linux"},{"name":"arch","value":"x86_64"}]}"#, #"labels: bad arch "x86_64" for linux"#),
            (#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"a","annotations":[{"name":"a","value":"1"},{"name":"a","value":"2"}]}"#, #"annotations[1]: duplicate annotations of name "a""#),
            (#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"a","annotations":[{"name":"created","value":"yesterday"}]}"#, "annotations[0].value: created:"),
            (#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"a","annotations":[{"name":"homepage","value":"ftp://x"}]}"#, "annotations[0].value: homepage:"),
            (#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"a","dependencies":[{"imageID":"sha512-aa"}]}"#, "dependencies[0].imageName: imageName cannot be empty"),
            (#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"a","dependencies":[{"imageName":"b","imageID":"sha256-aa"}]}"#, "dependencies[0].imageID: unrecognized hash type"),
            (#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"a","pathWhitelist":["etc/x"]}"#, "pathWhitelist[0]:"),
            (#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"a","pathWhitelist":["/etc/../x"]}"#, "pathWhitelist[0]:"),
            (#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"a","pathWhitelist":["/x","/x"]}"#, #"pathWhitelist[1]: duplicate path "/x""#),
        ])
    func rejects(text: String, message: String) {
        let err = imageManifestError(text)
        #expect(err?.hasPrefix(message) == true, "got \(err ?? "no error")")
    }

    @Test(
        "valid os/arch pairs and arch without os are accepted",
        arguments: [
            ("linux", "amd64"), ("linux", "aarch64"), ("linux", "armv7l"), ("linux", "s390x"), ("freebsd", "arm"),
            ("darwin", "x86_64"),
        ])
    func osArch(os: String, arch: String) throws {
        try OSArch.validate(os: os, arch: arch)
        #expect(throws: Never.self) { try OSArch.validate(os: nil, arch: "anything") }
    }

    @Test(
        "app rules reject bad apps naming the field",
        arguments: [
            (#"{"exec":["/x"],"group":"0"}"#, "app.user: user is required"),
            (#"{"exec":["/x"],"user":"0"}"#, "app.group: group is required"),
            (#"{"user":"0","group":"0","workingDirectory":"rel"}"#, "app.workingDirectory: workingDirectory must be an absolute path"),
            (#"{"user":"0","group":"0","supplementaryGIDs":[1,-1]}"#, "app.supplementaryGIDs[1]: invalid gid -1"),
            (#"{"user":"0","group":"0","eventHandlers":[{"name":"pre-stop","exec":["/x"]}]}"#, #"app.eventHandlers[0].name: bad eventHandler "pre-stop""#),
            (#"{"user":"0","group":"0","eventHandlers":[{"exec":["/x"]}]}"#, #"app.eventHandlers[0].name: eventHandler "name" cannot be empty"#),
            (#"{"user":"0","group":"0","eventHandlers":[{"name":"pre-start","exec":["/x"]},{"name":"pre-start","exec":["/y"]}]}"#, #"app.eventHandlers[1]: only one eventHandler of name "pre-start" allowed"#),
            (#"{"user":"0","group":"0","environment":[{"name":"1X","value":""}]}"#, #"app.environment[0].name: environment variable does not have valid identifier "1X""#),
            (#"{"user":"0","group":"0","environment":[{"name":"A","value":"1"},{"name":"A","value":"2"}]}"#, #"app.environment[1]: duplicate environment variable of name "A""#),
            (#"{"user":"0","group":"0","mountPoints":[{"name":"My_Vol","path":"/x"}]}"#, "app.mountPoints[0].name: invalid AC name"),
            (#"{"user":"0","group":"0","mountPoints":[{"name":"v","path":"x"}]}"#, "app.mountPoints[0].path:"),
            (#"{"user":"0","group":"0","mountPoints":[{"name":"v","path":"/x"},{"name":"v","path":"/y"}]}"#, #"app.mountPoints[1]: duplicate mountPoint name "v""#),
            (#"{"user":"0","group":"0","ports":[{"name":"p","protocol":"tcp","port":0}]}"#, "app.ports[0].port: port must be in 1-65535 range"),
            (#"{"user":"0","group":"0","ports":[{"name":"p","protocol":"tcp","port":65535,"count":2}]}"#, "app.ports[0].count: end of port range must be in 1-65535 range"),
            (#"{"user":"0","group":"0","ports":[{"name":"p","protocol":"tcp","port":80},{"name":"p","protocol":"udp","port":81}]}"#, #"app.ports[1]: duplicate port name "p""#),
            (#"{"user":"0","group":"0","isolators":[{"name":"example.com/custom","value":{}}]}"#, #"app.isolators[0].name: invalid isolator "example.com/custom""#),
            (#"{"user":"0","group":"0","isolators":[{"name":"resource/memory","value":{"limit":"1K"}}]}"#, "app.isolators[0].value: resource/memory: invalid limit quantity"),
            (#"{"user":"0","group":"0","exec":["/x",1]}"#, "app.exec[1]: expected string, found number"),
        ])
    func appRejects(app: String, message: String) {
        let err = imageManifestError(manifestWithApp(app))
        #expect(err?.hasPrefix(message) == true, "got \(err ?? "no error")")
    }

    @Test("an app accepts both spellings of supplementaryGIDs and defaults port count to 1")
    func appLeniency() throws {
        let a = try decodeJSON(App.self, from: #"{"user":"0","group":"0","supplementaryGIDs":[7],"ports":[{"name":"p","protocol":"tcp","port":80}]}"#)
        #expect(a.supplementaryGIDs == [7])
        #expect(a.ports.first?.count == 1)
        #expect(a.exec.isEmpty)
        let b = try decodeJSON(App.self, from: #"{"user":"0","group":"0","supplementaryGids":[8]}"#)
        #expect(b.supplementaryGIDs == [8])
    }

    @Test("validate() checks a manifest built in code")
    func validateInCode() throws {
        var m = ImageManifest(name: "example.com/x", app: App(exec: ["/x"]))
        try m.validate()
        m.app?.workingDirectory = "relative"
        let err = #expect(throws: RktError.self) { try m.validate() }
        #expect(err?.message == "app.workingDirectory: workingDirectory must be an absolute path")
        m.app?.workingDirectory = nil
        m.labels["os"] = "linux"
        m.labels["arch"] = "amd64"
        try m.validate()
        m.labels["os"] = nil
        #expect(m.labels.count == 1)
    }
}

@Suite("manifest decoding speed")
struct ManifestSpeedTests {
    @Test("a 1 MB image manifest decodes and validates quickly")
    func largeManifest() throws {
        var m = ImageManifest(name: "example.com/big", app: App(exec: ["/bin/big"]))
        for i in 0..<14_000 {
            m.annotations.append(Annotation(name: "example.com/annotation-\(i)", value: "value number \(i) with \"quotes\" and <html>"))
        }
        let bytes = try encodeJSON(m, pretty: true)
        #expect(bytes.count > 1_000_000)
        let clock = ContinuousClock()
        var decoded: ImageManifest? = nil
        let elapsed = try clock.measure { decoded = try decodeJSON(ImageManifest.self, from: bytes) }
        #expect(decoded == m)
        print("decoded \(bytes.count) byte manifest in \(elapsed)")
        // Generous for unoptimized debug builds; release takes milliseconds.
        #expect(elapsed < .seconds(5))
    }
}

@Suite("Go decoding leniency")
struct LeniencyTests {
    @Test("a label or env entry without a value decodes as empty, as in Go")
    func missingValue() throws {
        let m = try decodeJSON(
            ImageManifest.self,
            from: manifestWithApp(#"{"user":"0","group":"0","environment":[{"name":"EMPTY"}]}"#).replacingFirstBrace(with: #"{"labels":[{"name":"version"}],"#))
        #expect(m.labels["version"] == "")
        #expect(m.app?.env("EMPTY") == "")
        let err = imageManifestError(#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"a","labels":[{"value":"x"}]}"#)
        #expect(err?.hasPrefix("labels[0].name: invalid AC identifier: must not be empty") == true, "got \(err ?? "no error")")
    }
}

extension String {
    fileprivate func replacingFirstBrace(with s: String) -> String { s + dropFirst() }
}
