import RktCommon
import RktJSON

/// The part of a CNI ADD result rkt uses, parsed from either result shape
/// (appc-docker-cni.md §8.1): 0.1.0/0.2.0 `{ip4: {ip, gateway, routes}, dns}` or
/// 0.3.0+ `{interfaces, ips: [{address, gateway, interface}], routes, dns}`.
public struct CNIResult: Sendable, Equatable {
    /// The pod's IPv4 address and prefix length on this network.
    public var ip: String?
    public var prefixLength: Int?
    public var gateway: String?
    /// The host side of the link when the plugin reports it (ptp's veth); used for route_localnet.
    public var hostInterface: String?
    public var dns: DNS
    /// The IPv4 routes the plugin set up in the pod (0.1.0 `ip4.routes`, 0.3.0+ `routes`).
    public var routes: [Route] = []
    /// The whole result, kept for CHECK/DEL `prevResult` (CNI ≥ 0.4.0).
    public var raw: JSONValue

    public struct Route: Sendable, Equatable, Codable {
        public var dst: String
        public var gw: String?
    }

    public struct DNS: Sendable, Equatable, Codable {
        public var nameservers: [String] = []
        public var domain: String?
        public var search: [String] = []
        public var options: [String] = []
        public var isEmpty: Bool { nameservers.isEmpty && domain == nil && search.isEmpty && options.isEmpty }

        public init(nameservers: [String] = [], domain: String? = nil, search: [String] = [], options: [String] = []) {
            self.nameservers = nameservers
            self.domain = domain
            self.search = search
            self.options = options
        }

        /// Every member is optional on disk (rkt's `omitempty`): a hand-edited or older
        /// net-info.json must still load, or teardown could not find the networks to DEL.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            nameservers = try c.decodeIfPresent([String].self, forKey: .nameservers) ?? []
            domain = try c.decodeIfPresent(String.self, forKey: .domain)
            search = try c.decodeIfPresent([String].self, forKey: .search) ?? []
            options = try c.decodeIfPresent([String].self, forKey: .options) ?? []
        }
    }

    public static func parse(_ bytes: [UInt8]) throws -> CNIResult {
        let value: JSONValue
        do { value = try parseJSON(bytes) } catch { throw RktError("cannot parse network plugin result", cause: error) }
        guard let obj = value.objectValue else { throw RktError("cannot parse network plugin result: not an object") }
        var result = CNIResult(dns: parseDNS(obj["dns"]), raw: value)
        if let ip4 = obj["ip4"]?.objectValue {
            // 0.1.0 / 0.2.0
            (result.ip, result.prefixLength) = splitCIDR(ip4["ip"]?.stringValue)
            result.gateway = ip4["gateway"]?.stringValue
            result.routes = parseRoutes(ip4["routes"])
        } else if let ips = obj["ips"]?.arrayValue {
            // 0.3.0+: the first IPv4 address assigned to a sandbox interface.
            let interfaces = obj["interfaces"]?.arrayValue ?? []
            for entry in ips {
                guard let address = entry["address"]?.stringValue, !address.contains(":") else { continue }
                (result.ip, result.prefixLength) = splitCIDR(address)
                result.gateway = entry["gateway"]?.stringValue
                break
            }
            result.routes = parseRoutes(obj["routes"]).filter { !$0.dst.contains(":") }
            // The host-side interface is the one without a sandbox path.
            result.hostInterface = interfaces.first { ($0["sandbox"]?.stringValue ?? "").isEmpty }?["name"]?.stringValue
        }
        return result
    }

    static func parseRoutes(_ v: JSONValue?) -> [Route] {
        (v?.arrayValue ?? []).compactMap { r in
            r["dst"]?.stringValue.map { Route(dst: $0, gw: r["gw"]?.stringValue) }
        }
    }

    static func parseDNS(_ v: JSONValue?) -> DNS {
        guard let o = v?.objectValue else { return DNS() }
        return DNS(
            nameservers: o["nameservers"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            domain: o["domain"]?.stringValue,
            search: o["search"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            options: o["options"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    static func splitCIDR(_ s: String?) -> (String?, Int?) {
        guard let s else { return (nil, nil) }
        let parts = s.split(separator: "/", maxSplits: 1)
        return (String(parts[0]), parts.count > 1 ? Int(parts[1]) : nil)
    }

    /// Dotted-quad netmask for a prefix length (rkt stores `mask` in net-info.json).
    public static func mask(prefixLength: Int) -> String {
        let bits: UInt32 = prefixLength <= 0 ? 0 : (prefixLength >= 32 ? .max : ~((1 << UInt32(32 - prefixLength)) - 1))
        return [24, 16, 8, 0].map { String((bits >> UInt32($0)) & 0xff) }.joined(separator: ".")
    }
}

/// A CNI error object printed on stdout by a failing plugin: `{cniVersion, code, msg, details}`.
struct CNIErrorObject {
    var code: Int
    var msg: String
    var details: String

    static func parse(_ bytes: [UInt8]) -> CNIErrorObject? {
        guard let o = (try? parseJSON(bytes))?.objectValue, let msg = o["msg"]?.stringValue else { return nil }
        return CNIErrorObject(code: o["code"]?.intValue ?? 0, msg: msg, details: o["details"]?.stringValue ?? "")
    }

    /// rkt reports plugin failures as `msg; details`.
    var text: String { details.isEmpty ? msg : "\(msg); \(details)" }
}
