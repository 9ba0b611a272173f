import RktCommon

/// A `--port NAME:[HOSTIP:]HOSTPORT` resolved against the app's named port.
public struct ForwardedPort: Sendable, Equatable {
    public var proto: String
    public var hostIP: String
    public var hostPort: Int
    public var podPort: Int

    public init(proto: String, hostIP: String = "0.0.0.0", hostPort: Int, podPort: Int) {
        self.proto = proto
        self.hostIP = hostIP.isEmpty ? "0.0.0.0" : hostIP
        self.hostPort = hostPort
        self.podPort = podPort
    }
}

/// Port forwarding with iptables, as rkt did (rkt-architecture.md §8.3): per-pod chains
/// `RKT-PFWD-DNAT-<uuid[0:8]>` and `RKT-PFWD-SNAT-<uuid[0:8]>` in the nat table, jumps from
/// PREROUTING/OUTPUT for local destinations and from POSTROUTING for 127.0.0.1-sourced traffic,
/// DNAT to the pod address and MASQUERADE so replies to localhost clients come back.
public struct PortForwardRules: Sendable {
    public var dnatChain: String
    public var snatChain: String

    public init(podUUID: String) {
        let short = String(podUUID.filter { $0 != "-" }.prefix(8))
        dnatChain = "RKT-PFWD-DNAT-\(short)"
        snatChain = "RKT-PFWD-SNAT-\(short)"
    }

    /// The jumps into the per-pod chains, as `iptables -t nat` argument lists without `-A`/`-D`.
    var jumps: [[String]] {
        [
            ["PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", dnatChain],
            ["OUTPUT", "-m", "addrtype", "--dst-type", "LOCAL", "-j", dnatChain],
            ["POSTROUTING", "-s", "127.0.0.1", "!", "-d", "127.0.0.1", "-j", snatChain],
        ]
    }

    /// Every `iptables` invocation (argv without the program) that sets the forwards up.
    public func setupCommands(ports: [ForwardedPort], podIP: String) -> [[String]] {
        var cmds: [[String]] = [
            ["-w", "-t", "nat", "-N", dnatChain],
            ["-w", "-t", "nat", "-N", snatChain],
        ]
        for port in ports {
            var dnat = ["-w", "-t", "nat", "-A", dnatChain, "-p", port.proto]
            if port.hostIP != "0.0.0.0" { dnat += ["-d", port.hostIP] }
            dnat += ["--dport", String(port.hostPort), "-j", "DNAT", "--to-destination", "\(podIP):\(port.podPort)"]
            cmds.append(dnat)
            cmds.append([
                "-w", "-t", "nat", "-A", snatChain, "-p", port.proto, "-s", "127.0.0.1", "-d", podIP,
                "--dport", String(port.podPort), "-j", "MASQUERADE",
            ])
        }
        // Jumps last, so no packet ever hits a half-filled chain.
        for jump in jumps { cmds.append(["-w", "-t", "nat", "-A"] + jump) }
        return cmds
    }

    /// The invocations that remove everything `setupCommands` added; each may fail harmlessly
    /// when the rule or chain is already gone (teardown is idempotent).
    public func teardownCommands() -> [[String]] {
        var cmds: [[String]] = jumps.map { ["-w", "-t", "nat", "-D"] + $0 }
        for chain in [dnatChain, snatChain] {
            cmds.append(["-w", "-t", "nat", "-F", chain])
            cmds.append(["-w", "-t", "nat", "-X", chain])
        }
        return cmds
    }
}
