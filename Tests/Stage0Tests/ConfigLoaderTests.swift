import Foundation
import RktCommon
import Testing

@testable import Stage0
@testable import Stage0Core

/// A throwaway config directory tree, removed when the test ends.
final class ConfigDirs {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "rkt-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func dir(_ name: String) -> String { "\(root)/\(name)" }

    func write(_ layer: String, _ relative: String, _ text: String) throws {
        let path = "\(root)/\(layer)/\(relative)"
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

@Suite("Configuration directories")
struct ConfigLoaderTests {
    @Test("local auth overrides system auth for the same domain, other domains are kept")
    func authOverride() throws {
        let d = try ConfigDirs()
        try d.write("sys", "auth.d/a.json", #"{"rktKind":"auth","rktVersion":"v1","domains":["example.com","other.com"],"type":"basic","credentials":{"user":"sys","password":"p"}}"#)
        try d.write("local", "auth.d/b.json", #"{"rktKind":"auth","rktVersion":"v1","domains":["example.com"],"type":"oauth","credentials":{"token":"tok"}}"#)
        let c = try ConfigLoader.load(directories: [d.dir("sys"), d.dir("local")])
        #expect(c.authPerHost["example.com"] == .oauth(token: "tok"))
        #expect(c.authPerHost["other.com"] == .basic(BasicCredentials(user: "sys", password: "p")))
        #expect(c.headers(forHost: "example.com").first?.1 == "Bearer tok")
        // "sys:p" in base64
        #expect(c.headers(forHost: "other.com").first?.1 == "Basic c3lzOnA=")
    }

    @Test("only regular .json files directly inside the kind directory are read")
    func ignoresOtherFiles() throws {
        let d = try ConfigDirs()
        let bad = #"{"rktKind":"auth","rktVersion":"v1","domains":["x"],"type":"basic","credentials":{"user":"u","password":"p"}}"#
        try d.write("local", "auth.d/README", bad)
        try d.write("local", "auth.d/test.notjson", bad)
        try d.write("local", "auth.d/sub/nested.json", bad)
        try FileManager.default.createSymbolicLink(atPath: d.dir("local") + "/auth.d/link.json", withDestinationPath: d.dir("local") + "/auth.d/README")
        let c = try ConfigLoader.load(directories: [d.dir("local")])
        #expect(c.authPerHost.isEmpty)
    }

    @Test("a missing rktKind or rktVersion is an error naming the file")
    func missingHeader() throws {
        let d = try ConfigDirs()
        try d.write("local", "paths.d/p.json", #"{"rktVersion":"v1","data":"/x"}"#)
        let err = #expect(throws: RktError.self) { try ConfigLoader.load(directories: [d.dir("local")]) }
        #expect(err?.message.contains("rktKind") == true)
        #expect(err?.message.contains(d.dir("local") + "/paths.d/p.json") == true)

        let d2 = try ConfigDirs()
        try d2.write("local", "paths.d/p.json", #"{"rktKind":"paths","data":"/x"}"#)
        let err2 = #expect(throws: RktError.self) { try ConfigLoader.load(directories: [d2.dir("local")]) }
        #expect(err2?.message.contains("rktVersion") == true)
    }

    @Test("a kind in the wrong directory is rejected")
    func wrongKind() throws {
        let d = try ConfigDirs()
        try d.write("local", "paths.d/p.json", #"{"rktKind":"stage1","rktVersion":"v1","name":"n","version":"1"}"#)
        #expect(throws: RktError.self) { try ConfigLoader.load(directories: [d.dir("local")]) }
    }

    @Test("a domain given twice within one directory is an error, across directories it overrides")
    func duplicateWithinDirectory() throws {
        let d = try ConfigDirs()
        let entry = #"{"rktKind":"auth","rktVersion":"v1","domains":["dup.com"],"type":"oauth","credentials":{"token":"t"}}"#
        try d.write("local", "auth.d/a.json", entry)
        try d.write("local", "auth.d/b.json", entry)
        let err = #expect(throws: RktError.self) { try ConfigLoader.load(directories: [d.dir("local")]) }
        #expect(err?.description.contains("already specified") == true)
    }

    @Test("paths merge per field and stage1 merges name+version and location separately")
    func pathsAndStage1() throws {
        let d = try ConfigDirs()
        try d.write("sys", "paths.d/p.json", #"{"rktKind":"paths","rktVersion":"v1","data":"/sys-data","stage1-images":"/sys-s1"}"#)
        try d.write("user", "paths.d/p.json", #"{"rktKind":"paths","rktVersion":"v1","data":"/user-data"}"#)
        try d.write("sys", "stage1.d/s.json", #"{"rktKind":"stage1","rktVersion":"v1","name":"sys/stage1","version":"1","location":"/usr/lib/rkt/stage1.aci"}"#)
        try d.write("local", "stage1.d/s.json", #"{"rktKind":"stage1","rktVersion":"v1","name":"local/stage1","version":"2"}"#)
        let c = try ConfigLoader.load(directories: [d.dir("sys"), d.dir("local"), d.dir("user")])
        #expect(c.paths == PathsConfig(dataDir: "/user-data", stage1ImagesDir: "/sys-s1"))
        #expect(c.stage1 == Stage1Config(name: "local/stage1", version: "2", location: "/usr/lib/rkt/stage1.aci"))
    }

    @Test("a stage1 name without a version and a relative location are errors")
    func stage1Validation() throws {
        let d = try ConfigDirs()
        try d.write("a", "stage1.d/s.json", #"{"rktKind":"stage1","rktVersion":"v1","name":"n"}"#)
        #expect(throws: RktError.self) { try ConfigLoader.load(directories: [d.dir("a")]) }
        try d.write("b", "stage1.d/s.json", #"{"rktKind":"stage1","rktVersion":"v1","location":"relative/stage1.aci"}"#)
        #expect(throws: RktError.self) { try ConfigLoader.load(directories: [d.dir("b")]) }
    }

    @Test("--dir beats paths.d data, which beats the default")
    func dataDirPrecedence() throws {
        let d = try ConfigDirs()
        let empty = try Stage0Context(dir: nil, systemConfigDir: d.dir("none1"), localConfigDir: d.dir("none2"))
        #expect(empty.dataDir == "/var/lib/rkt")
        try d.write("local", "paths.d/p.json", #"{"rktKind":"paths","rktVersion":"v1","data":"/from-config"}"#)
        let fromConfig = try Stage0Context(dir: nil, systemConfigDir: d.dir("none"), localConfigDir: d.dir("local"))
        #expect(fromConfig.dataDir == "/from-config")
        let fromFlag = try Stage0Context(dir: "/from-flag", systemConfigDir: d.dir("none"), localConfigDir: d.dir("local"))
        #expect(fromFlag.dataDir == "/from-flag")
    }

    @Test("rkt config prints one auth entry per domain, then paths and stage1, tab-indented")
    func configJSON() throws {
        var c = RktConfig()
        c.authPerHost["b.com"] = .oauth(token: "t")
        c.authPerHost["a.com"] = .basic(BasicCredentials(user: "u", password: "p"))
        c.paths.dataDir = "/d"
        let compact = JSONOutput.render(c.jsonValue, pretty: false)
        #expect(compact == #"{"stage0":[{"rktVersion":"v1","rktKind":"auth","domains":["a.com"],"type":"basic","credentials":{"user":"u","password":"p"}},{"rktVersion":"v1","rktKind":"auth","domains":["b.com"],"type":"oauth","credentials":{"token":"t"}},{"rktVersion":"v1","rktKind":"paths","data":"/d","stage1-images":""},{"rktVersion":"v1","rktKind":"stage1","name":"","version":"","location":""}]}"#)
        let pretty = JSONOutput.render(c.jsonValue, pretty: true)
        #expect(pretty.hasPrefix("{\n\t\"stage0\": [\n\t\t{\n\t\t\t\"rktVersion\": \"v1\""))
    }
}
