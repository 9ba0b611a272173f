import Glibc
import RktCommon
import Testing

@testable import Stage1Net

@Suite("--net parsing")
struct NetSelectionTests {
    @Test("an empty value means the default network")
    func emptyIsDefault() throws {
        #expect(try NetSelection.parse("") == .networks([.init(name: "default")], all: false))
    }

    @Test("host and none are modes, not networks")
    func modes() throws {
        #expect(try NetSelection.parse("host") == .host)
        #expect(try NetSelection.parse("none") == .none)
        #expect(try NetSelection.parse("host").isContained == false)
        #expect(try NetSelection.parse("none").isContained == true)
    }

    @Test("networks keep their CNI_ARGS and order")
    func args() throws {
        let sel = try NetSelection.parse("default:IP=172.16.28.9,mynet:K=V;K2=V2")
        #expect(sel == .networks([
            .init(name: "default", args: "IP=172.16.28.9"),
            .init(name: "mynet", args: "K=V;K2=V2"),
        ], all: false))
    }

    @Test("invalid selections are refused", arguments: [
        "default,default",  // a network twice
        "host:IP=1.2.3.4",  // arguments to a mode
        "all:K=V",
        "host,default",  // a mode with networks
        ":IP=1.2.3.4",  // no name
    ])
    func invalid(_ raw: String) {
        #expect(throws: RktError.self) { try NetSelection.parse(raw) }
    }
}

@Suite("CNI results")
struct CNIResultTests {
    @Test("a 0.1.0 result gives the address, gateway and DNS")
    func legacy() throws {
        let json = #"{"cniVersion":"0.1.0","ip4":{"ip":"172.16.28.5/24","gateway":"172.16.28.1","routes":[{"dst":"0.0.0.0/0"}]},"dns":{"nameservers":["1.2.3.4"]}}"#
        let r = try CNIResult.parse(Array(json.utf8))
        #expect(r.ip == "172.16.28.5")
        #expect(r.prefixLength == 24)
        #expect(r.gateway == "172.16.28.1")
        #expect(r.dns.nameservers == ["1.2.3.4"])
        #expect(r.routes == [CNIResult.Route(dst: "0.0.0.0/0", gw: nil)])
    }

    @Test("a 1.0.0 result gives the first IPv4 address and the host-side link")
    func current() throws {
        let json = """
            {"cniVersion":"1.0.0","interfaces":[{"name":"veth1234","mac":"aa:bb"},{"name":"eth0","sandbox":"/var/run/netns/x"}],
             "ips":[{"address":"fd00::5/64","interface":1},{"address":"10.1.2.3/16","gateway":"10.1.0.1","interface":1}],
             "routes":[{"dst":"0.0.0.0/0","gw":"10.1.0.1"},{"dst":"::/0"}],"dns":{}}
            """
        let r = try CNIResult.parse(Array(json.utf8))
        #expect(r.ip == "10.1.2.3")
        #expect(r.prefixLength == 16)
        #expect(r.gateway == "10.1.0.1")
        #expect(r.hostInterface == "veth1234")
        #expect(r.routes == [CNIResult.Route(dst: "0.0.0.0/0", gw: "10.1.0.1")])
        #expect(r.dns.isEmpty)
    }

    @Test("a plugin error object becomes rkt's `msg; details`")
    func errorObject() {
        let json = #"{"cniVersion":"0.4.0","code":11,"msg":"requested IP address \"172.16.28.123\" is not available","details":"in use"}"#
        #expect(CNIErrorObject.parse(Array(json.utf8))?.text == #"requested IP address "172.16.28.123" is not available; in use"#)
    }

    @Test("netmasks from prefix lengths", arguments: [(24, "255.255.255.0"), (16, "255.255.0.0"), (32, "255.255.255.255"), (0, "0.0.0.0"), (20, "255.255.240.0")])
    func masks(_ prefix: Int, _ mask: String) {
        #expect(CNIResult.mask(prefixLength: prefix) == mask)
    }
}

@Suite("port forwarding rules")
struct PortForwardTests {
    @Test("chains are named after the first 8 characters of the pod UUID")
    func chainNames() {
        let rules = PortForwardRules(podUUID: "6b7b4b3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b")
        #expect(rules.dnatChain == "RKT-PFWD-DNAT-6b7b4b3a")
        #expect(rules.snatChain == "RKT-PFWD-SNAT-6b7b4b3a")
    }

    @Test("setup DNATs to the pod and masquerades localhost clients; jumps come last")
    func setup() {
        let rules = PortForwardRules(podUUID: "6b7b4b3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b")
        let cmds = rules.setupCommands(
            ports: [ForwardedPort(proto: "tcp", hostIP: "172.16.28.1", hostPort: 8080, podPort: 80)], podIP: "172.16.28.5")
        #expect(cmds.contains(["-w", "-t", "nat", "-A", "RKT-PFWD-DNAT-6b7b4b3a", "-p", "tcp", "-d", "172.16.28.1",
                               "--dport", "8080", "-j", "DNAT", "--to-destination", "172.16.28.5:80"]))
        #expect(cmds.contains(["-w", "-t", "nat", "-A", "RKT-PFWD-SNAT-6b7b4b3a", "-p", "tcp", "-s", "127.0.0.1",
                               "-d", "172.16.28.5", "--dport", "80", "-j", "MASQUERADE"]))
        #expect(cmds.last?.contains("POSTROUTING") == true)
        #expect(cmds.first == ["-w", "-t", "nat", "-N", "RKT-PFWD-DNAT-6b7b4b3a"])
    }

    @Test("teardown removes the jumps before the chains")
    func teardown() {
        let cmds = PortForwardRules(podUUID: "00112233-4455-4677-8899-aabbccddeeff").teardownCommands()
        let firstDelete = cmds.firstIndex { $0.contains("-X") } ?? -1
        let lastJump = cmds.lastIndex { $0.contains("-D") } ?? Int.max
        #expect(lastJump < firstDelete)
        #expect(cmds.filter { $0.contains("-X") }.count == 2)
    }
}

@Suite("network configuration loading")
struct NetConfLoaderTests {
    private func tempDir() -> String {
        var template = Array("/tmp/rkt-netconf-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { buf in
            guard let base = buf.baseAddress, let p = mkdtemp(base) else { return "/tmp" }
            return String(cString: p)
        }
    }

    private func put(_ path: String, _ text: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
    }

    @Test("a user network overrides the built-in one of the same name; missing networks are named")
    func overrideAndMissing() throws {
        let root = tempDir()
        defer { _ = system("rm -rf '\(root)'") }
        mkdir(root + "/s1", 0o755); mkdir(root + "/s1/etc", 0o755); mkdir(root + "/s1/etc/rkt", 0o755)
        mkdir(root + "/s1/etc/rkt/net.d", 0o755)
        mkdir(root + "/cfg", 0o755); mkdir(root + "/cfg/net.d", 0o755)
        put(root + "/s1/etc/rkt/net.d/99-default.conf", #"{"cniVersion":"0.1.0","name":"default","type":"ptp","ipMasq":true}"#)
        put(root + "/cfg/net.d/10-default.conf", #"{"cniVersion":"0.3.1","name":"default","type":"bridge"}"#)
        put(root + "/cfg/net.d/20-mynet.conf", #"{"cniVersion":"0.3.1","name":"mynet","type":"ptp"}"#)
        let loader = NetConfLoader(stage1Rootfs: root + "/s1", localConfig: root + "/cfg")
        let chosen = try loader.select([.init(name: "mynet", args: "IP=1.2.3.4"), .init(name: "default")], all: false)
        #expect(chosen.map(\.0.name) == ["default", "mynet"])  // file-name order
        #expect(chosen[0].0.type == "bridge")
        #expect(chosen[1].1 == "IP=1.2.3.4")
        #expect(throws: RktError.self) { try loader.select([.init(name: "nope"), .init(name: "nada")], all: false) }
        do {
            _ = try loader.select([.init(name: "nope")], all: false)
        } catch let e as RktError {
            #expect(e.description == "networks not found: nope")
        }
    }

    @Test("the configuration bytes are kept verbatim for the plugin's stdin")
    func verbatim() throws {
        let root = tempDir()
        defer { _ = system("rm -rf '\(root)'") }
        let text = "{ \"cniVersion\": \"0.1.0\",\n  \"name\": \"x\", \"type\": \"ptp\" }\n"
        put(root + "/x.conf", text)
        let conf = try NetConf.load(path: root + "/x.conf")
        #expect(String(decoding: conf.bytes, as: UTF8.self) == text)
    }
}
