import RktCommon
import RktJSON
import Testing

func podManifestError(_ text: String) -> String? {
    do {
        _ = try decodeJSON(PodManifest.self, from: text)
        return nil
    } catch {
        return "\(error)"
    }
}

func podWith(apps: String = "[]", volumes: String = "[]", isolators: String = "[]", ports: String = "[]") -> String {
    #"{"acVersion":"0.8.11","acKind":"PodManifest","apps":\#(apps),"volumes":\#(volumes),"isolators":\#(isolators),"ports":\#(ports)}"#
}

let imageA = #"{"name":"example.com/a","id":"sha512-aaaa"}"#

@Suite("pod manifest")
struct PodManifestTests {
    @Test("the spec's example pod manifest decodes")
    func example() throws {
        let p = try decodeJSON(PodManifest.self, from: Fixtures.podManifest)
        #expect(p.apps.map(\.name) == ["reduce-worker", "backup", "register"])
        #expect(p.apps[0].image.id == "sha512-277205b3ae3eb3a8e042a62ae46934b470e431ac")
        #expect(p.apps[0].mounts == [Mount(volume: "worklib", path: "/mnt/foo")])
        #expect(p.apps[2].app == nil)
        #expect(p.apps[1].annotations["foo"] == "baz")
        #expect(p.volumes[0] == Volume.host("worklib", source: "/opt/tenant1/work", readOnly: true, recursive: true))
        #expect(p.volumes[1].mode == "0755" && p.volumes[1].uid == 0 && p.volumes[1].gid == 0)
        #expect(p.volumes[1].modeBits == 0o755)
        #expect(p.ports == [ExposedPort(name: "health", hostPort: 4000, hostIP: "127.0.0.1")])
        #expect(p.app(named: "backup")?.image.name == "example.com/worker-backup")
    }

    @Test("a pod manifest round-trips, and the lists are always written")
    func roundTrip() throws {
        let p = try decodeJSON(PodManifest.self, from: Fixtures.podManifest)
        #expect(try decodeJSON(PodManifest.self, from: try encodeJSON(p)) == p)
        let empty = try encodeJSONString(PodManifest())
        #expect(empty == #"{"acVersion":"0.8.11","acKind":"PodManifest","apps":[],"volumes":[],"isolators":[],"annotations":[],"ports":[]}"#)
    }

    @Test("a runtime app encodes in Go's field order without empty fields")
    func runtimeAppShape() throws {
        let a = RuntimeApp(name: "a", image: RuntimeImage(name: "example.com/a", id: "sha512-aa"), readOnlyRootFS: false)
        #expect(try encodeJSONString(a) == #"{"name":"a","image":{"name":"example.com/a","id":"sha512-aa"}}"#)
        let b = RuntimeApp(name: "a", image: RuntimeImage(id: "sha512-aa"), readOnlyRootFS: true, mounts: [Mount(volume: "v", path: "/v")])
        #expect(try encodeJSONString(b) == #"{"name":"a","image":{"id":"sha512-aa"},"readOnlyRootFS":true,"mounts":[{"volume":"v","path":"/v"}]}"#)
    }

    @Test(
        "pod rules reject bad manifests naming the field",
        arguments: [
            (#"{"acVersion":"0.8.11","acKind":"ImageManifest","apps":[]}"#, "acKind: missing or bad ACKind"),
            (podWith(apps: "[{\"name\":\"a\",\"image\":\(imageA)},{\"name\":\"a\",\"image\":\(imageA)}]"), #"apps[1]: duplicate apps of name "a""#),
            (podWith(apps: "[{\"name\":\"My_App\",\"image\":\(imageA)}]"), "apps[0].name: invalid AC name"),
            (podWith(apps: #"[{"name":"a","image":{"id":"md5-aa"}}]"#), "apps[0].image.id: unrecognized hash type"),
            (podWith(apps: #"[{"name":"a","image":{"id":"sha512-XYZ"}}]"#), "apps[0].image.id: invalid image ID"),
            (podWith(apps: "[{\"name\":\"a\",\"image\":\(imageA),\"mounts\":[{\"path\":\"/x\"}]}]"), "apps[0].mounts[0].volume: volume must be set"),
            (podWith(apps: "[{\"name\":\"a\",\"image\":\(imageA),\"mounts\":[{\"volume\":\"v\"}]}]"), "apps[0].mounts[0].path: path must be set"),
            (podWith(apps: "[{\"name\":\"a\",\"image\":\(imageA),\"app\":{\"user\":\"0\"}}]"), "apps[0].app.group: group is required"),
            (podWith(volumes: #"[{"name":"v","kind":"empty"},{"name":"v","kind":"empty"}]"#), #"volumes[1]: duplicate volume name "v""#),
            (podWith(ports: #"[{"name":"p","hostPort":0}]"#), "ports[0].hostPort: hostPort must be in 1-65535 range"),
            (podWith(ports: #"[{"name":"p","hostPort":80,"hostIP":"::1"}]"#), #"ports[0].hostIP: "::1" is not an IPv4 address"#),
            (podWith(isolators: #"[{"name":"os/unix/sysctl","value":{}},{"name":"os/unix/sysctl","value":{}}]"#), "isolators[1]: isolators set contains too many instances of type os/unix/sysctl"),
        ])
    func rejects(text: String, message: String) {
        let err = podManifestError(text)
        #expect(err?.hasPrefix(message) == true, "got \(err ?? "no error")")
    }

    @Test("unknown isolators are kept verbatim at pod level")
    func podUnknownIsolator() throws {
        let p = try decodeJSON(PodManifest.self, from: podWith(isolators: #"[{"name":"example.com/x","value":{"z":1,"a":[true]}}]"#))
        #expect(try p.isolators[0].typed() == .unknown(name: "example.com/x", value: ["z": 1, "a": [true]]))
        #expect(try encodeJSONString(p.isolators[0]) == #"{"name":"example.com/x","value":{"z":1,"a":[true]}}"#)
    }

    @Test("validate() walks apps and volumes of a manifest built in code")
    func validateInCode() throws {
        var p = PodManifest(apps: [RuntimeApp(name: "a", image: RuntimeImage(id: "sha512-aa"))])
        try p.validate()
        p.volumes.append(Volume(name: "v", kind: "host", source: "relative"))
        let err = #expect(throws: RktError.self) { try p.validate() }
        #expect(err?.message == "volumes[0].source: source for host volume must be absolute path")
    }
}

@Suite("volumes")
struct VolumeTests {
    @Test(
        "volume rules",
        arguments: [
            (#"{"name":"v","kind":"host","source":"/srv"}"#, nil),
            (#"{"name":"v","kind":"empty","mode":"1777","uid":1000,"gid":1000}"#, nil),
            (#"{"name":"v","kind":"nfs"}"#, #"kind: unrecognized volume kind: should be one of "empty", "host""#),
            (#"{"kind":"empty"}"#, "name: name must be set"),
            (#"{"name":"V","kind":"empty"}"#, "name: invalid AC name"),
            (#"{"name":"v","kind":"host"}"#, "source: source for host volume cannot be empty"),
            (#"{"name":"v","kind":"host","source":"srv"}"#, "source: source for host volume must be absolute path"),
            (#"{"name":"v","kind":"host","source":"/srv","mode":"0755"}"#, "mode: mode for host volume cannot be set"),
            (#"{"name":"v","kind":"host","source":"/srv","uid":0}"#, "uid: uid for host volume cannot be set"),
            (#"{"name":"v","kind":"host","source":"/srv","gid":0}"#, "gid: gid for host volume cannot be set"),
            (#"{"name":"v","kind":"empty","source":"/srv"}"#, "source: source for empty volume must be empty"),
            (#"{"name":"v","kind":"empty","mode":"0999"}"#, #"mode: invalid mode "0999""#),
            (#"{"name":"v","kind":"empty","mode":"75"}"#, #"mode: invalid mode "75""#),
            (#"{"name":"v","kind":"empty","uid":-1}"#, "uid: invalid uid -1"),
        ] as [(String, String?)])
    func rules(text: String, message: String?) {
        var got: String? = nil
        do { _ = try decodeJSON(Volume.self, from: text) } catch { got = "\(error)" }
        if let message {
            #expect(got?.hasPrefix(message) == true, "got \(got ?? "no error")")
        } else {
            #expect(got == nil)
        }
    }

    @Test("empty volumes get mode 0755 and uid/gid 0; host volumes get none")
    func defaults() throws {
        let e = Volume.empty("scratch")
        #expect(e.mode == "0755" && e.uid == 0 && e.gid == 0)
        #expect(try encodeJSONString(e) == #"{"name":"scratch","kind":"empty","mode":"0755","uid":0,"gid":0}"#)
        let h = Volume.host("data", source: "/srv", readOnly: true)
        #expect(try encodeJSONString(h) == #"{"name":"data","kind":"host","source":"/srv","readOnly":true}"#)
    }
}
