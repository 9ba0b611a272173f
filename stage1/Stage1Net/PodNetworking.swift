import Glibc
import RktCommon
import RktJSON
import RktOS

/// Contained pod networking through CNI plugins (rkt-architecture.md §8, appc-docker-cni.md §8).
///
/// `setup` runs in the stage1 `init` before the pod init is cloned (host mount and network
/// namespaces): CNI ADD for every selected network in file-name order on `eth0, eth1, …`, port
/// forwarding, `net-info.json`. `teardown` undoes all of it including the netns, is idempotent,
/// and is called when the pod exits and again by gc.
public struct PodNetworking {
    public var podDir: String
    public var podUUID: String
    public var stage1Rootfs: String
    public var localConfig: String
    public var debug: Bool

    public init(podDir: String, podUUID: String, stage1Rootfs: String, localConfig: String, debug: Bool = false) {
        self.podDir = podDir
        self.podUUID = podUUID
        self.stage1Rootfs = stage1Rootfs
        self.localConfig = localConfig
        self.debug = debug
    }

    /// The result of a successful setup: where the pod's netns lives and what each network gave.
    public struct State: Sendable {
        public var netnsPath: String
        public var networks: [NetInfo]
        /// DNS from the first network that returned any (rkt uses only that one).
        public var dns: CNIResult.DNS?
    }

    /// Plugin search path: `<local-config>/net.d`, rkt's system plugin dir, the stage1's bundled
    /// plugins, and Debian's `containernetworking-plugins` directory as a last resort.
    public var pluginPath: [String] {
        [localConfig + "/net.d", "/usr/lib/rkt/plugins/net", stage1Rootfs + "/usr/lib/rkt/plugins/net", "/usr/lib/cni"]
    }

    /// Runs CNI ADD for every selected network inside the existing named netns at `netnsPath`
    /// (created by the caller, which also records it in `<pod>/netns` first so gc can always find
    /// it), sets up port forwarding and writes `net-info.json`. On failure everything done so far
    /// is undone. `host` and `none` need no CNI and return `nil`.
    public func setup(_ selection: NetSelection, netnsPath: String, ports: [ForwardedPort] = []) throws -> State? {
        guard case .networks(let requested, let all) = selection else { return nil }
        do {
            let confs = try NetConfLoader(stage1Rootfs: stage1Rootfs, localConfig: localConfig)
                .select(requested, all: all)
            var infos: [NetInfo] = []
            var dns: CNIResult.DNS?
            try FileSystem.mkdirAll(podDir + "/" + PodFile.netDir, mode: 0o755)
            for (index, (conf, args)) in confs.enumerated() {
                let ifName = "eth\(index)"
                let copy = podDir + "/" + PodFile.netDir + "/" + PathUtil.basename(conf.path)
                try FileIO.writeFile(copy, conf.bytes, mode: 0o644)
                // Recorded before ADD, so a failure half-way still lets teardown DEL this network.
                infos.append(NetInfo(
                    netName: conf.name, netConf: copy, pluginPath: try findPlugin(conf.type), ifName: ifName,
                    ip: "", args: args, mask: "", hostIP: "", hostInterface: nil, ipMasq: conf.ipMasq))
                // stage1 masquerades for ptp and bridge itself (IPMasq); their plugin is told not to.
                let selfMasq = IPMasq.handles(conf)
                if selfMasq { infos[index].masqChain = IPMasq.chain(network: conf.name, podUUID: podUUID) }
                let pluginConf = selfMasq ? IPMasq.pluginConf(conf) : conf
                try NetInfo.save(infos, podDir: podDir)
                let result = try cni.run(.add, conf: pluginConf, netnsPath: netnsPath, ifName: ifName, args: args)
                try FileIO.writeFile(Self.resultPath(confCopy: copy), result.raw.serialized(pretty: false), mode: 0o644)
                if let chain = infos[index].masqChain {
                    try IPMasq.setup(chain: chain, comment: IPMasq.comment(network: conf.name, podUUID: podUUID),
                                     addresses: IPMasq.addresses(result.raw))
                }
                // CHECK right after ADD catches a plugin that reported success but left the pod's
                // interface or lease incomplete; the catch below then DELs everything.
                if conf.supportsCheck {
                    _ = try cni.run(.check, conf: pluginConf, netnsPath: netnsPath, ifName: ifName, args: args, prevResult: result.raw)
                }
                if dns == nil && !result.dns.isEmpty { dns = result.dns }
                infos[index].ip = result.ip ?? ""
                infos[index].mask = CNIResult.mask(prefixLength: result.prefixLength ?? 32)
                infos[index].hostIP = result.gateway ?? ""
                infos[index].hostInterface = result.hostInterface
                if let ip = result.ip {
                    infos[index].ip4 = NetInfo.IP4(ip: "\(ip)/\(result.prefixLength ?? 32)", gateway: result.gateway,
                                                   routes: result.routes.isEmpty ? nil : result.routes)
                }
                if !result.dns.isEmpty { infos[index].dns = result.dns }
            }
            try NetInfo.save(infos, podDir: podDir)
            if !ports.isEmpty {
                try forwardPorts(ports, networks: infos)
            }
            return State(netnsPath: netnsPath, networks: infos, dns: dns)
        } catch {
            _ = teardown()
            // The inner error's own one-line form (operation, network or file, reason): rkt's
            // `message: innermost cause` would drop which network or file failed.
            throw RktError("failed to setup network", causes: [(error as? RktError)?.description ?? String(describing: error)])
        }
    }

    /// Removes everything `setup` made; returns warnings for steps that failed (teardown keeps
    /// going, as CNI asks: DEL is best-effort and runs even if ADD failed).
    @discardableResult
    public func teardown() -> [String] {
        let netnsFile = podDir + "/" + PodFile.netns
        guard let netnsPath = (try? FileIO.readString(netnsFile))?.trimmingSpaces(), !netnsPath.isEmpty else {
            return []
        }
        let doneMarker = podDir + "/" + PodFile.netDir + "/.torn-down"
        if FileSystem.exists(doneMarker) { return [] }
        var warnings: [String] = []
        let infos = (try? NetInfo.load(podDir: podDir)) ?? []
        if FileSystem.exists(podDir + "/" + PodFile.netDir + "/" + Self.portsMarker) {
            for cmd in PortForwardRules(podUUID: podUUID).teardownCommands() { _ = try? iptables(cmd, quiet: true) }
        }
        for info in infos.reversed() {
            do {
                // net-info.json records the copy's path in the pod dir of the time (`pods/run/…`);
                // gc tears down from `exited-garbage/…`, so look the copy up in today's pod dir.
                let copy = podDir + "/" + PodFile.netDir + "/" + PathUtil.basename(info.netConf)
                let prev = (try? FileIO.readFile(Self.resultPath(confCopy: copy))).flatMap { try? parseJSON($0) }
                // First, and without the configuration: a lost copy must not leave the rules.
                if let chain = info.masqChain, let prev {
                    warnings += IPMasq.teardown(chain: chain, comment: IPMasq.comment(network: info.netName, podUUID: podUUID),
                                                addresses: IPMasq.addresses(prev))
                }
                let conf = try NetConf.load(path: copy)
                _ = try cni.run(.del, conf: info.masqChain != nil ? IPMasq.pluginConf(conf) : conf, netnsPath: netnsPath,
                                ifName: info.ifName, args: info.args, prevResult: prev, quiet: true)
            } catch {
                warnings.append("failed to teardown network \(info.netName): \(error)")
            }
        }
        do { try NamedNetns.remove(at: netnsPath) } catch { warnings.append(String(describing: error)) }
        // Last: a second teardown (gc after the pod's own exit) then has nothing to do. The
        // `netns` file itself stays, as rkt leaves it, for `rkt status` of exited pods.
        try? FileIO.writeFile(doneMarker, "")
        return warnings
    }

    // MARK: - CNI invocation

    var cni: CNIInvocation { CNIInvocation(podUUID: podUUID, pluginPath: pluginPath) }

    func findPlugin(_ type: String) throws -> String { try cni.findPlugin(type) }

    /// Where the ADD result of the network whose configuration copy is `confCopy` is kept, for
    /// CHECK and DEL (CNI ≥ 0.4.0 hand it back as `prevResult`).
    static func resultPath(confCopy: String) -> String { confCopy + ".result" }

    // MARK: - Port forwarding

    /// Forwards through the first network with ipMasq, else the last one (rkt's rule).
    func forwardPorts(_ ports: [ForwardedPort], networks: [NetInfo]) throws {
        guard let net = networks.first(where: { $0.ipMasq == true }) ?? networks.last, !net.ip.isEmpty else {
            throw RktError("cannot forward ports: no network gave the pod an address")
        }
        let rules = PortForwardRules(podUUID: podUUID)
        // Marked before the first rule, so teardown removes a half-made set of chains too.
        try FileIO.writeFile(podDir + "/" + PodFile.netDir + "/" + Self.portsMarker, "")
        for cmd in rules.setupCommands(ports: ports, podIP: net.ip) {
            let status = try iptables(cmd)
            guard status == 0 else { throw RktError("iptables \(cmd.joined(separator: " ")) failed with status \(status)") }
        }
        // Lets DNAT'ed packets from 127.0.0.1 leave through the pod's host-side link: the one
        // the plugin reported (0.3.0+ results), else every host link carrying the network's host
        // IP, as rkt did (a 0.1.0 result names no interfaces).
        var links = Set(HostInterfaces.named(withIPv4: net.hostIP))
        if let link = net.hostInterface { links.insert(link) }
        for link in links {
            try? FileIO.writeFile("/proc/sys/net/ipv4/conf/\(link)/route_localnet", "1")
        }
    }

    static let portsMarker = ".port-forwards"

    private func iptables(_ args: [String], quiet: Bool = false) throws -> Int32 {
        try PluginExec.run(try PluginExec.hostTool("iptables"), argv: ["iptables"] + args, env: [PluginExec.hostPath],
                           quiet: quiet).status
    }
}

