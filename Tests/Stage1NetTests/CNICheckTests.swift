import Glibc
import RktCommon
import Testing

@testable import Stage1Net

/// CHECK and prevResult through `PodNetworking` with a fake plugin (a shell script in the
/// pod's `<local-config>/net.d`) that logs each call and prints a 0.4.0 result for ADD. The
/// netns path is never opened by the fake plugin, so no root or real netns is needed.
@Suite("CNI CHECK and prevResult")
struct CNICheckTests {
    struct Fixture {
        var root: String
        var net: PodNetworking
        var log: String { root + "/calls.log" }
        static func read(_ path: String) -> String {
            guard let f = fopen(path, "r") else { return "" }
            defer { fclose(f) }
            var out = ""
            var buf = [CChar](repeating: 0, count: 4096)
            while fgets(&buf, Int32(buf.count), f) != nil { out += String(cString: buf) }
            return out
        }
        var calls: [String] {
            let text = Self.read(log)
            return text.split(separator: "\n").map(String.init)
        }
    }

    static func put(_ path: String, _ text: String, mode: mode_t = 0o644) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
    }

    static func fixture(_ confs: [String: String]) throws -> Fixture {
        var template = Array("/tmp/rkt-cnicheck-XXXXXX".utf8CString)
        let root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        for d in ["/cfg", "/cfg/net.d", "/pod", "/pod/stage1", "/pod/stage1/rootfs"] { mkdir(root + d, 0o755) }
        let plugin = """
            #!/bin/sh
            conf=$(cat)
            prev=no; case "$conf" in *'"prevResult"'*) prev=yes;; esac
            echo "$CNI_COMMAND $CNI_IFNAME prev=$prev" >> \(root)/calls.log
            case "$CNI_COMMAND" in
            ADD) echo '{"cniVersion":"0.4.0","interfaces":[{"name":"vethfake"},{"name":"'$CNI_IFNAME'","sandbox":"'$CNI_NETNS'"}],"ips":[{"version":"4","address":"10.99.0.5/24","gateway":"10.99.0.1","interface":1}],"dns":{}}' ;;
            CHECK) case "$conf" in *FAIL_CHECK*) echo '{"cniVersion":"0.4.0","code":100,"msg":"interface eth0 is gone"}'; exit 1;; esac ;;
            esac
            exit 0
            """
        put(root + "/cfg/net.d/fake", plugin, mode: 0o755)
        for (file, text) in confs { put(root + "/cfg/net.d/" + file, text) }
        put(root + "/pod/" + PodFile.netns, root + "/netns")
        let net = PodNetworking(podDir: root + "/pod", podUUID: "6b7b4b3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
                                stage1Rootfs: root + "/pod/stage1/rootfs", localConfig: root + "/cfg")
        return Fixture(root: root, net: net)
    }

    @Test("a 0.4.0 network is CHECKed after ADD, and DEL gets the stored result as prevResult")
    func checkAfterAdd() throws {
        let f = try Self.fixture(["10-a.conf": #"{"cniVersion":"0.4.0","name":"a","type":"fake"}"#])
        defer { _ = system("rm -rf '\(f.root)'") }
        let state = try f.net.setup(.networks([.init(name: "a")], all: false), netnsPath: f.root + "/netns")
        #expect(state?.networks.first?.ip == "10.99.0.5")
        #expect(state?.networks.first?.hostInterface == "vethfake")
        // net-info.json keeps rkt's ip4 (CIDR, gateway) and reads back.
        #expect(state?.networks.first?.ip4 == NetInfo.IP4(ip: "10.99.0.5/24", gateway: "10.99.0.1", routes: nil))
        #expect(try NetInfo.load(podDir: f.root + "/pod") == state?.networks)
        #expect(f.calls == ["ADD eth0 prev=no", "CHECK eth0 prev=yes"])
        #expect(f.net.teardown().isEmpty)
        #expect(f.calls.last == "DEL eth0 prev=yes")
    }

    @Test("a .conflist CHECKs every plugin in order and DELs them in reverse, all with the final result")
    func conflist() throws {
        let f = try Self.fixture(["10-l.conflist": #"{"cniVersion":"1.0.0","name":"l","plugins":[{"type":"fake"},{"type":"fake","x":1}]}"#])
        defer { _ = system("rm -rf '\(f.root)'") }
        _ = try f.net.setup(.networks([.init(name: "l")], all: false), netnsPath: f.root + "/netns")
        // The second ADD already gets the first plugin's result.
        #expect(f.calls == ["ADD eth0 prev=no", "ADD eth0 prev=yes", "CHECK eth0 prev=yes", "CHECK eth0 prev=yes"])
        f.net.teardown()
        #expect(Array(f.calls.suffix(2)) == ["DEL eth0 prev=yes", "DEL eth0 prev=yes"])
    }

    @Test("0.1.0–0.3.1 networks and a conflist with disableCheck get no CHECK and the configuration as written", arguments: [
        #"{"name":"o","type":"fake"}"#, #"{"cniVersion":"0.3.1","name":"o","type":"fake"}"#,
    ])
    func noCheckBefore040(_ conf: String) throws {
        let f = try Self.fixture(["10-o.conf": conf, "20-d.conflist": #"{"cniVersion":"0.4.0","name":"d","disableCheck":true,"plugins":[{"type":"fake"}]}"#])
        defer { _ = system("rm -rf '\(f.root)'") }
        _ = try f.net.setup(.networks([.init(name: "o"), .init(name: "d")], all: false), netnsPath: f.root + "/netns")
        #expect(f.calls == ["ADD eth0 prev=no", "ADD eth1 prev=no"])
        f.net.teardown()
        #expect(Array(f.calls.suffix(2)) == ["DEL eth1 prev=yes", "DEL eth0 prev=no"])
    }

    @Test("a failing CHECK fails setup with the plugin's message and DELs the network")
    func failingCheck() throws {
        let f = try Self.fixture(["10-a.conf": #"{"cniVersion":"0.4.0","name":"a","type":"fake","FAIL_CHECK":1}"#])
        defer { _ = system("rm -rf '\(f.root)'") }
        do {
            _ = try f.net.setup(.networks([.init(name: "a")], all: false), netnsPath: f.root + "/netns")
            Issue.record("setup succeeded despite the failing CHECK")
        } catch let e as RktError {
            #expect(e.description.contains("fake CHECK for network a: interface eth0 is gone"), "\(e.description)")
        }
        #expect(f.calls == ["ADD eth0 prev=no", "CHECK eth0 prev=yes", "DEL eth0 prev=yes"])
        // Torn down once: a later gc has nothing left to do.
        f.net.teardown()
        #expect(f.calls.count == 3)
    }

    @Test("CNI versions compare numerically", arguments: [("0.4.0", true), ("1.0.0", true), ("0.10.0", true), ("0.3.1", false), ("0.1.0", false), ("", false)])
    func versions(_ v: String, _ atLeast040: Bool) {
        #expect(NetConf.version(v, atLeast: [0, 4, 0]) == atLeast040)
    }
}
