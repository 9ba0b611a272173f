import RktCommon
import RktJSON
import RktOS

/// One entry of `<pod>/net-info.json`, in rkt's field names (rkt: networking/netinfo), so
/// `rkt list`/`rkt status` and gc read the same file rkt wrote.
public struct NetInfo: Codable, Sendable, Equatable {
    public var netName: String
    /// Path of the copy of the configuration in `<pod>/net/`.
    public var netConf: String
    public var pluginPath: String
    public var ifName: String
    public var ip: String
    public var args: String
    public var mask: String
    public var hostIP: String
    /// rkt's `ip4` (the result's address as CIDR, gateway and routes) and `dns`, so `rkt status
    /// --format=json` carries what the plugin reported; absent when it reported nothing.
    public var ip4: IP4?
    public var dns: CNIResult.DNS?
    /// Extra fields of ours (rkt ignores unknown keys): the host-side link, the masquerade flag
    /// and chain, so teardown and port forwarding need no re-parsing.
    public var hostInterface: String?
    public var ipMasq: Bool?
    /// The masquerade chain stage1 set up itself instead of the plugin (`IPMasq`); nil when the
    /// plugin did it, or nothing was masqueraded.
    public var masqChain: String?

    public struct IP4: Codable, Sendable, Equatable {
        public var ip: String
        public var gateway: String?
        public var routes: [CNIResult.Route]?
    }

    public init(netName: String, netConf: String, pluginPath: String, ifName: String, ip: String,
                args: String, mask: String, hostIP: String, hostInterface: String?, ipMasq: Bool) {
        self.netName = netName
        self.netConf = netConf
        self.pluginPath = pluginPath
        self.ifName = ifName
        self.ip = ip
        self.args = args
        self.mask = mask
        self.hostIP = hostIP
        self.hostInterface = hostInterface
        self.ipMasq = ipMasq
    }

    public static func load(podDir: String) throws -> [NetInfo] {
        let path = podDir + "/" + PodFile.netInfo
        guard FileSystem.exists(path) else { return [] }
        do { return try decodeJSON([NetInfo].self, from: try FileIO.readFile(path)) } catch {
            throw RktError("cannot read \(path)", cause: error)
        }
    }

    public static func save(_ infos: [NetInfo], podDir: String) throws {
        try FileIO.writeFileAtomic(podDir + "/" + PodFile.netInfo, try encodeJSON(infos), mode: 0o644)
    }
}
