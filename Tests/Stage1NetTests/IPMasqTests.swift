import Glibc
import RktCommon
import RktJSON
import Testing

@testable import Stage1Net

/// The masquerade rules stage1 writes instead of the ptp/bridge plugins (`IPMasq`): which
/// networks it takes over, what the plugin then gets, and the iptables-restore text. The
/// functional network tests check the rules on a real host (present while a pod runs, gone after).
@Suite("IP masquerade by stage1")
struct IPMasqTests {
    /// `text` loaded as a configuration file, from a directory of its own (tests run in parallel).
    func conf(_ text: String, file: String = "x.conf") throws -> NetConf {
        var template = Array("/tmp/rkt-ipmasq-test.XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw RktError("mkdtemp failed") }
        let dir = String(cString: p)
        defer { _ = unlink(dir + "/" + file); _ = rmdir(dir) }
        let fd = open(dir + "/" + file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
        return try NetConf.load(path: dir + "/" + file)
    }

    @Test("ptp and bridge .conf files with ipMasq are taken over; other plugins, conflists and ipMasq false are not")
    func handles() throws {
        #expect(IPMasq.handles(try conf(#"{"name":"default","type":"ptp","ipMasq":true}"#)))
        #expect(IPMasq.handles(try conf(#"{"name":"b","type":"bridge","ipMasq":true}"#)))
        #expect(!IPMasq.handles(try conf(#"{"name":"p","type":"ptp","ipMasq":false}"#)))
        #expect(!IPMasq.handles(try conf(#"{"name":"p","type":"ptp"}"#)))
        #expect(!IPMasq.handles(try conf(#"{"name":"m","type":"macvlan","ipMasq":true}"#)))
        #expect(!IPMasq.handles(try conf(#"{"name":"l","plugins":[{"type":"ptp","ipMasq":true}]}"#, file: "l.conflist")))
    }

    @Test("the plugin gets the configuration with ipMasq false and every other key as written")
    func pluginConf() throws {
        let c = try conf(#"{"cniVersion":"0.3.1","name":"n","type":"ptp","ipMasq":true,"ipam":{"type":"host-local","subnet":"10.1.0.0/24"}}"#)
        let p = IPMasq.pluginConf(c)
        let sent = try parseJSON(p.bytes)
        #expect(sent["ipMasq"]?.boolValue == false)
        #expect(sent["name"]?.stringValue == "n" && sent["cniVersion"]?.stringValue == "0.3.1")
        #expect(sent["ipam"]?["subnet"]?.stringValue == "10.1.0.0/24")
        #expect(!p.ipMasq && p.type == "ptp" && p.path == c.path)
    }

    @Test("the chain name is stable per network and pod, distinct otherwise, and fits iptables' 28 characters")
    func chainName() {
        let a = IPMasq.chain(network: "default", podUUID: "0c2d3367-d1d3-4299-ae14-4eaa9bae9c78")
        #expect(a == IPMasq.chain(network: "default", podUUID: "0c2d3367-d1d3-4299-ae14-4eaa9bae9c78"))
        #expect(a != IPMasq.chain(network: "default", podUUID: "0c2d3367-d1d3-4299-ae14-4eaa9bae9c79"))
        #expect(a != IPMasq.chain(network: "defaul", podUUID: "t0c2d3367-d1d3-4299-ae14-4eaa9bae9c78"))
        #expect(a.hasPrefix("RKT-MASQ-") && a.count == 25 && a.count <= 28, "\(a)")
    }

    @Test("addresses come from 0.1.0 and 0.3.0+ results alike, IPv4 and IPv6")
    func addresses() throws {
        let old = try parseJSON(Array(#"{"ip4":{"ip":"172.16.28.5/24","gateway":"172.16.28.1"},"ip6":{"ip":"fd00::5/64"}}"#.utf8))
        #expect(IPMasq.addresses(old) == ["172.16.28.5/24", "fd00::5/64"])
        let new = try parseJSON(Array(#"{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.0.7/24"},{"version":"6","address":"fd01::7/64"}]}"#.utf8))
        #expect(IPMasq.addresses(new) == ["10.1.0.7/24", "fd01::7/64"])
        #expect(IPMasq.addresses(.null).isEmpty)
        let families = IPMasq.byFamily(IPMasq.addresses(new))
        #expect(families.map(\.0) == [.ipv4, .ipv6] && families.map(\.1) == [["10.1.0.7/24"], ["fd01::7/64"]])
    }

    @Test("the comment is the plugins' and quoted for iptables-restore; sources match the pod's own address")
    func ruleText() {
        let comment = IPMasq.comment(network: "default", podUUID: "u-1")
        #expect(comment == #"name: "default" id: "u-1""#)
        #expect(IPMasq.match(comment) == #"-m comment --comment "name: \"default\" id: \"u-1\"""#)
        #expect(IPMasq.host("172.16.28.5/24") == "172.16.28.5" && IPMasq.host("fd00::5") == "fd00::5")
    }
}
