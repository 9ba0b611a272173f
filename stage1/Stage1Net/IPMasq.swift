import Glibc
import RktCommon
import RktJSON
import RktOS

/// IP masquerading for the networks whose plugin would do it (`ptp` and `bridge` `.conf` files
/// with `"ipMasq": true`, rkt's default network among them), done by stage1 instead.
///
/// The plugins' own code (containernetworking-plugins `ip.SetupIPMasq`) runs `iptables` nine
/// times per pod: a version probe, a chain listing, then a check and an append for each of three
/// rules; DEL runs it five more times. That was about 15 ms of every `rkt run --net=default`.
/// Here the same rules are one `iptables-restore --noflush`, and one more at teardown: a chain
/// per network and pod that accepts traffic to the network and masquerades everything else but
/// multicast, entered from POSTROUTING for the pod's addresses. The rules carry the plugins'
/// comment (`name: "<net>" id: "<pod uuid>"`); the chain is `RKT-MASQ-` and a hash of both.
///
/// The plugin then gets the configuration with `ipMasq` false. net-info.json records the chain
/// (`masqChain`); a network without it (a pod set up before, or one stage1 leaves to its
/// plugin) gets the configuration as written at DEL too, so its plugin removes its own rules.
enum IPMasq {
    static let pluginTypes: Set<String> = ["ptp", "bridge"]

    /// Whether stage1 masquerades for this network instead of its plugin.
    static func handles(_ conf: NetConf) -> Bool {
        !conf.isConfList && conf.ipMasq && pluginTypes.contains(conf.type)
    }

    /// `conf` as its plugin gets it when stage1 masquerades: `ipMasq` false, all else as written.
    static func pluginConf(_ conf: NetConf) -> NetConf {
        var c = conf
        c.json["ipMasq"] = .bool(false)
        c.bytes = JSONValue.object(c.json).serialized(pretty: false)
        c.ipMasq = false
        return c
    }

    /// `RKT-MASQ-` and 16 hex digits of FNV-1a over network and pod: 25 characters, within
    /// iptables' 28.
    static func chain(network: String, podUUID: String) -> String {
        "RKT-MASQ-" + FNV1a.hex64(Array(network.utf8) + [0] + Array(podUUID.utf8))
    }

    /// The plugins' comment, so the rules read the same as theirs in `iptables-save`.
    static func comment(network: String, podUUID: String) -> String {
        "name: \"\(network)\" id: \"\(podUUID)\""
    }

    /// The pod's addresses on the network, as CIDR, from an ADD result of any version
    /// (0.1.0/0.2.0 `ip4.ip`/`ip6.ip`, 0.3.0+ `ips[].address`).
    static func addresses(_ result: JSONValue) -> [String] {
        guard let obj = result.objectValue else { return [] }
        if let ips = obj["ips"]?.arrayValue {
            return ips.compactMap { $0["address"]?.stringValue }
        }
        return ["ip4", "ip6"].compactMap { obj[$0]?["ip"]?.stringValue }
    }

    /// Adds the chain and rules for `addresses`; throws when iptables refuses them.
    static func setup(chain: String, comment: String, addresses: [String]) throws {
        for (family, addrs) in byFamily(addresses) {
            var lines = ["*nat", ":\(chain) - [0:0]"]
            for a in addrs { lines.append("-A \(chain) -d \(a) \(match(comment)) -j ACCEPT") }
            lines.append("-A \(chain) ! -d \(family.multicast) \(match(comment)) -j MASQUERADE")
            for a in addrs { lines.append("-A POSTROUTING -s \(host(a)) \(match(comment)) -j \(chain)") }
            lines.append("COMMIT")
            let status = try restore(family, lines, quiet: false)
            guard status == 0 else {
                throw RktError("\(family.restore) of the masquerade rules for \(chain) failed with status \(status)")
            }
        }
    }

    /// Removes what `setup` added, best-effort: one restore, or rule by rule when part of it is
    /// already gone (a restore is all or nothing). Returns warnings.
    static func teardown(chain: String, comment: String, addresses: [String]) -> [String] {
        var warnings: [String] = []
        for (family, addrs) in byFamily(addresses) {
            let deletes = addrs.map { "-D POSTROUTING -s \(host($0)) \(match(comment)) -j \(chain)" }
            let all = ["*nat"] + deletes + ["-F \(chain)", "-X \(chain)", "COMMIT"]
            if (try? restore(family, all, quiet: true)) == 0 { continue }
            for step in deletes + ["-F \(chain)", "-X \(chain)"] {
                _ = try? restore(family, ["*nat", step, "COMMIT"], quiet: true)
            }
            // Still there: a rule or the chain could not be removed.
            if (try? restore(family, ["*nat", "-F \(chain)", "COMMIT"], quiet: true)) == 0 {
                warnings.append("cannot remove masquerade chain \(chain) (\(family.restore))")
            }
        }
        return warnings
    }

    struct Family: Hashable {
        var restore: String
        var multicast: String
        static let ipv4 = Family(restore: "iptables-restore", multicast: "224.0.0.0/4")
        static let ipv6 = Family(restore: "ip6tables-restore", multicast: "ff00::/8")
    }

    static func byFamily(_ addresses: [String]) -> [(Family, [String])] {
        let v4 = addresses.filter { !$0.contains(":") }
        let v6 = addresses.filter { $0.contains(":") }
        return [(Family.ipv4, v4), (Family.ipv6, v6)].filter { !$0.1.isEmpty }
    }

    /// The address without its prefix length: POSTROUTING matches the pod's own address.
    static func host(_ cidr: String) -> String {
        String(cidr.split(separator: "/", maxSplits: 1).first ?? Substring(cidr))
    }

    /// `-m comment --comment "…"` quoted for iptables-restore's parser.
    static func match(_ comment: String) -> String {
        var quoted = ""
        for c in comment {
            if c == "\"" || c == "\\" { quoted.append("\\") }
            quoted.append(c)
        }
        return "-m comment --comment \"\(quoted)\""
    }

    static func restore(_ family: Family, _ lines: [String], quiet: Bool) throws -> Int32 {
        let input = Array((lines.joined(separator: "\n") + "\n").utf8)
        return try PluginExec.run(try PluginExec.hostTool(family.restore), argv: [family.restore, "-w", "--noflush"],
                                  env: [PluginExec.hostPath], input: input, quiet: quiet).status
    }
}
