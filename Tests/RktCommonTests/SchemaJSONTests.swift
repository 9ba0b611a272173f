import Foundation
import RktCommon
import RktJSON
import Testing

/// The manifests decode and encode by hand (`JSONObjectReader`, `json`); these tests hold that
/// path to what any Codable coder sees, and its errors to the decoder's paths and wording.
@Suite("Schema types: hand-written JSON")
struct SchemaJSONTests {
    /// An image manifest using every member the hand-written code reads, with nulls for absent.
    static let fullImage = #"""
        {"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app",
         "labels":[{"name":"version","value":"1"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],
         "app":{"exec":["/bin/app","-x"],"user":"1000","group":"1000","supplementaryGIDs":[5,6],
                "workingDirectory":"/srv","environment":[{"name":"A","value":"1"}],
                "eventHandlers":[{"name":"pre-start","exec":["/bin/pre"]}],
                "mountPoints":[{"name":"data","path":"/data","readOnly":true}],
                "ports":[{"name":"http","protocol":"tcp","port":80,"count":2,"socketActivated":true}],
                "isolators":[{"name":"resource/memory","value":{"limit":"1G"}}],
                "userAnnotations":{"z":"1","a":"2"},"userLabels":{"k":"v"}},
         "annotations":[{"name":"created","value":"2026-01-01T00:00:00Z"}],
         "dependencies":[{"imageName":"example.com/base","imageID":"sha512-aa","labels":[{"name":"version","value":"2"}],"size":4096},
                         {"imageName":"example.com/other","imageID":null}],
         "pathWhitelist":["/bin","/etc/"]}
        """#

    @Test("a decoder other than ours (Foundation's) gives the same values", arguments: [0, 1])
    func foreignDecoder(which: Int) throws {
        if which == 0 {
            let ours = try decodeJSON(PodManifest.self, from: Fixtures.podManifest)
            let theirs = try JSONDecoder().decode(PodManifest.self, from: Data(Fixtures.podManifest.utf8))
            #expect(ours == theirs)
        } else {
            let ours = try decodeJSON(ImageManifest.self, from: Self.fullImage)
            let theirs = try JSONDecoder().decode(ImageManifest.self, from: Data(Self.fullImage.utf8))
            #expect(ours == theirs)
            #expect(ours.app?.ports.first?.count == 2)
            #expect(ours.dependencies.map(\.size) == [4096, nil])
            #expect(ours.dependencies.last?.imageID == nil)
        }
    }

    @Test("an encoder other than ours (Foundation's) writes the same JSON")
    func foreignEncoder() throws {
        let image = try decodeJSON(ImageManifest.self, from: Self.fullImage)
        let pod = try decodeJSON(PodManifest.self, from: Fixtures.podManifest)
        #expect(try parseJSON(Array(JSONEncoder().encode(image))) == image.json)
        #expect(try parseJSON(Array(JSONEncoder().encode(pod))) == pod.json)
        #expect(try encodeJSONValue(image) == image.json)
    }

    @Test("keys come out in Go's order, empty members omitted, maps sorted")
    func encodedOrder() throws {
        let image = try decodeJSON(ImageManifest.self, from: Self.fullImage)
        #expect(image.json.objectValue?.keys == ["acKind", "acVersion", "name", "labels", "app", "annotations", "dependencies", "pathWhitelist"])
        #expect(image.json["app"]?.objectValue?.keys == [
            "exec", "eventHandlers", "user", "group", "supplementaryGIDs", "workingDirectory", "environment", "mountPoints",
            "ports", "isolators", "userAnnotations", "userLabels",
        ])
        #expect(image.json["app"]?["userAnnotations"]?.objectValue?.keys == ["a", "z"])
        let bare = ImageManifest(name: "example.com/bare")
        #expect(try encodeJSONString(bare) == #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/bare"}"#)
        let pod = PodManifest()
        #expect(try encodeJSONString(pod) == #"{"acVersion":"0.8.11","acKind":"PodManifest","apps":[],"volumes":[],"isolators":[],"annotations":[],"ports":[]}"#)
    }

    @Test(
        "type errors name the member's path",
        arguments: [
            (#"{"apps":[{"name":"a","image":{"id":"sha512-aa","labels":["x"]}}]}"#, "apps[0].image.labels[0]: expected object, found string"),
            (#"{"apps":{}}"#, "apps: expected array, found object"),
            (#"{"userLabels":{"k":1}}"#, "userLabels.k: expected string, found number"),
            (#"{"userLabels":[]}"#, "userLabels: expected object, found array"),
            (#"{"ports":[{"name":"p","hostPort":1.5}]}"#, "ports[0].hostPort: number 1.5 is not a valid Int"),
            (#"{"apps":[{"name":"a","image":{"id":"sha512-aa"},"readOnlyRootFS":"yes"}]}"#, "apps[0].readOnlyRootFS: expected bool, found string"),
            (#"{"apps":[{"name":"a","image":{"id":"sha512-aa"},"app":{"user":"0","group":"0","supplementaryGIDs":["1"]}}]}"#,
             "apps[0].app.supplementaryGIDs[0]: expected number, found string"),
            ("[]", "expected object, found array"),
        ])
    func typeErrors(json: String, message: String) {
        let err = #expect(throws: JSONError.self) { try decodeJSON(PodManifest.self, from: json) }
        #expect(err?.description == message)
    }

    @Test("a dependency size must fit in UInt64")
    func dependencySize() {
        let text = Self.fullImage.replacingOccurrences(of: #""size":4096"#, with: #""size":-1"#)
        let err = #expect(throws: (any Error).self) { try decodeJSON(ImageManifest.self, from: text) }
        #expect("\(err.map { "\($0)" } ?? "")".contains("dependencies[0].size: number -1 does not fit in UInt64"))
    }

    @Test("null members count as absent")
    func nulls() throws {
        let p = try decodeJSON(PodManifest.self, from: #"{"acVersion":"0.8.11","acKind":"PodManifest","apps":null,"volumes":null,"userLabels":null,"ports":[{"name":"p","hostPort":80,"hostIP":null}]}"#)
        #expect(p.apps.isEmpty && p.volumes.isEmpty && p.userLabels.isEmpty)
        #expect(p.ports.first?.hostIP == nil)
    }
}
