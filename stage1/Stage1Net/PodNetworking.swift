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
                try NetInfo.save(infos, podDir: podDir)
                let result = try cni(.add, conf: conf, netnsPath: netnsPath, ifName: ifName, args: args)
                if dns == nil && !result.dns.isEmpty { dns = result.dns }
                infos[index].ip = result.ip ?? ""
                infos[index].mask = CNIResult.mask(prefixLength: result.prefixLength ?? 32)
                infos[index].hostIP = result.gateway ?? ""
                infos[index].hostInterface = result.hostInterface
            }
            try NetInfo.save(infos, podDir: podDir)
            if !ports.isEmpty {
                try forwardPorts(ports, networks: infos)
            }
            return State(netnsPath: netnsPath, networks: infos, dns: dns)
        } catch {
            _ = teardown()
            throw RktError("failed to setup network", cause: error)
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
                let conf = try NetConf.load(path: info.netConf)
                _ = try cni(.del, conf: conf, netnsPath: netnsPath, ifName: info.ifName, args: info.args, quiet: true)
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

    enum Command: String { case add = "ADD", del = "DEL" }

    func cni(_ command: Command, conf: NetConf, netnsPath: String, ifName: String, args: String, quiet: Bool = false) throws -> CNIResult {
        let env = [
            "CNI_VERSION=0.1.0", "CNI_COMMAND=\(command.rawValue)", "CNI_CONTAINERID=\(podUUID)",
            "CNI_NETNS=\(netnsPath)", "CNI_ARGS=\(args)", "CNI_IFNAME=\(ifName)",
            "CNI_PATH=\(pluginPath.joined(separator: ":"))",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ]
        if !conf.isConfList {
            let plugin = try findPlugin(conf.type)
            return try invoke(plugin, env: env, stdin: conf.bytes, network: conf.name, command: command, quiet: quiet)
        }
        // A .conflist: each plugin gets name/cniVersion injected, later ones the previous result;
        // DEL runs the list in reverse.
        let plugins = conf.json["plugins"]?.arrayValue?.compactMap(\.objectValue) ?? []
        var prev: JSONValue?
        var last = CNIResult(dns: CNIResult.DNS(), raw: .null)
        for plugin in command == .add ? plugins : plugins.reversed() {
            var obj = plugin
            obj["name"] = .string(conf.name)
            obj["cniVersion"] = .string(conf.cniVersion)
            if let prev, command == .add { obj["prevResult"] = prev }
            let type = plugin["type"]?.stringValue ?? ""
            let path = try findPlugin(type)
            last = try invoke(path, env: env, stdin: JSONValue.object(obj).serialized(pretty: false),
                              network: conf.name, command: command, quiet: quiet)
            if command == .add { prev = last.raw }
        }
        return last
    }

    private func invoke(_ plugin: String, env: [String], stdin: [UInt8], network: String, command: Command, quiet: Bool) throws -> CNIResult {
        let out = try PluginExec.run(plugin, argv: [plugin], env: env, input: stdin, quiet: quiet)
        guard out.status == 0 else {
            let reason = CNIErrorObject.parse(out.stdout)?.text ?? "netplugin failed but error parsing its diagnostic message \(String(decoding: out.stdout, as: UTF8.self))"
            throw RktError("\(PathUtil.basename(plugin)) \(command.rawValue) for network \(network)", causes: [reason])
        }
        if command == .del || out.stdout.isEmpty { return CNIResult(dns: CNIResult.DNS(), raw: .null) }
        return try CNIResult.parse(out.stdout)
    }

    func findPlugin(_ type: String) throws -> String {
        for dir in pluginPath where access(dir + "/" + type, X_OK) == 0 { return dir + "/" + type }
        throw RktError("Could not find plugin \"\(type)\" in \(pluginPath.joined(separator: ":"))")
    }

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
        // Lets DNAT'ed packets from 127.0.0.1 leave through the pod's host-side link.
        if let link = net.hostInterface {
            try? FileIO.writeFile("/proc/sys/net/ipv4/conf/\(link)/route_localnet", "1")
        }
    }

    static let portsMarker = ".port-forwards"

    private func iptables(_ args: [String], quiet: Bool = false) throws -> Int32 {
        let candidates = ["/usr/sbin/iptables", "/sbin/iptables", "/usr/bin/iptables"]
        guard let path = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw RktError("iptables not found (install the iptables package)")
        }
        return try PluginExec.run(path, argv: ["iptables"] + args, env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], quiet: quiet).status
    }
}

