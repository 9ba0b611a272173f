import RktCommon

/// The parsed value of `--net` (rkt-architecture.md §8.1).
///
/// `host` shares the caller's network namespace; `none` gives a namespace with only `lo`;
/// anything else names CNI networks (`all` means every defined one), each with optional
/// `CNI_ARGS` after a colon: `--net=default:IP=172.16.28.9,mynet:K=V;K2=V2`.
public enum NetSelection: Equatable, Sendable {
    case host
    case none
    case networks([RequestedNet], all: Bool)

    public struct RequestedNet: Equatable, Sendable {
        public var name: String
        /// The raw `K=V;K2=V2` string passed as `CNI_ARGS`; empty when none was given.
        public var args: String
        public init(name: String, args: String = "") {
            self.name = name
            self.args = args
        }
    }

    /// Parses a `--net` value; an empty value means `default`, as in rkt.
    public static func parse(_ raw: String) throws -> NetSelection {
        let items = raw.split(separator: ",", omittingEmptySubsequences: true).map(String.init)
        if items.isEmpty { return .networks([RequestedNet(name: "default")], all: false) }
        var nets: [RequestedNet] = []
        var all = false
        var seen = Set<String>()
        for item in items {
            let name: String
            let args: String
            if let colon = item.firstIndex(of: ":") {
                name = String(item[..<colon])
                args = String(item[item.index(after: colon)...])
            } else {
                name = item
                args = ""
            }
            guard !name.isEmpty else { throw RktError("invalid --net value \"\(raw)\": empty network name") }
            if seen.contains(name) {
                throw RktError("invalid --net value \"\(raw)\": network \"\(name)\" given more than once")
            }
            seen.insert(name)
            switch name {
            case "host", "none", "all":
                if !args.isEmpty {
                    throw RktError("invalid --net value \"\(raw)\": network \"\(name)\" does not take arguments")
                }
                if name == "all" { all = true; continue }
                if items.count > 1 {
                    throw RktError("invalid --net value \"\(raw)\": \"\(name)\" cannot be combined with other networks")
                }
                return name == "host" ? .host : .none
            default:
                nets.append(RequestedNet(name: name, args: args))
            }
        }
        return .networks(nets, all: all)
    }

    /// Whether the pod gets its own network namespace.
    public var isContained: Bool { self != .host }
}
