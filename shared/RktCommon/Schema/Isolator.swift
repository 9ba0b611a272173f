import RktJSON

/// An isolator as written in a manifest: a name and a raw JSON value. `typed` gives the
/// decoded view; unknown names stay raw so they round-trip verbatim.
public struct Isolator: Codable, Sendable, Equatable {
    public var name: String
    public var value: JSONValue

    public init(name: String, value: JSONValue) {
        self.name = name
        self.value = value
    }

    public init(from decoder: any Decoder) throws { try self.init(json: JSONObjectReader(decoder)) }

    init(json r: JSONObjectReader) throws {
        name = try r.string("name") ?? ""
        value = r.value("value") ?? .null
        try ACIdentifier.validate(name, path: r.path("name"))
        // Known isolators must have a valid value wherever they appear.
        _ = try IsolatorValue.parse(name: name, value: value, path: r.path("value"))
    }

    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    public var json: JSONValue { ["name": .string(name), "value": value] }

    /// The typed view of this isolator; throws when the value does not fit the name.
    public func typed(path: String = "") throws -> IsolatorValue {
        try IsolatorValue.parse(name: name, value: value, path: path)
    }

    /// True when `name` is one of the standard isolators.
    public var isKnown: Bool { IsolatorName.all.contains(name) }
}

/// Standard isolator names (appc spec/ace.md).
public enum IsolatorName {
    public static let cpu = "resource/cpu"
    public static let memory = "resource/memory"
    public static let blockBandwidth = "resource/block-bandwidth"
    public static let blockIOPS = "resource/block-iops"
    public static let networkBandwidth = "resource/network-bandwidth"
    public static let capabilitiesRetain = "os/linux/capabilities-retain-set"
    public static let capabilitiesRemove = "os/linux/capabilities-remove-set"
    public static let seccompRetain = "os/linux/seccomp-retain-set"
    public static let seccompRemove = "os/linux/seccomp-remove-set"
    public static let noNewPrivileges = "os/linux/no-new-privileges"
    public static let oomScoreAdj = "os/linux/oom-score-adj"
    public static let cpuShares = "os/linux/cpu-shares"
    public static let selinuxContext = "os/linux/selinux-context"
    public static let apparmorProfile = "os/linux/apparmor-profile"
    public static let sysctl = "os/unix/sysctl"

    public static let all: Set<String> = [
        cpu, memory, blockBandwidth, blockIOPS, networkBandwidth, capabilitiesRetain, capabilitiesRemove,
        seccompRetain, seccompRemove, noNewPrivileges, oomScoreAdj, cpuShares, selinuxContext, apparmorProfile, sysctl,
    ]

    /// Isolators of which an app may carry only one.
    static let single: Set<String> = [seccompRetain, seccompRemove, oomScoreAdj, cpuShares, selinuxContext, apparmorProfile, sysctl]
}

/// Constructors for the isolators stage0 builds from command-line flags.
extension Isolator {
    /// `--memory=Q`: rkt sets request and limit to the same value.
    public static func memoryLimit(_ q: Quantity) -> Isolator {
        resource(IsolatorName.memory, request: q, limit: q)
    }

    /// `--cpu=Q`: request and limit alike.
    public static func cpuLimit(_ q: Quantity) -> Isolator {
        resource(IsolatorName.cpu, request: q, limit: q)
    }

    public static func resource(_ name: String, request: Quantity?, limit: Quantity?) -> Isolator {
        var o = JSONObject()
        if let request { o["request"] = .string(request.text) }
        if let limit { o["limit"] = .string(limit.text) }
        return Isolator(name: name, value: .object(o))
    }

    public static func capabilitiesRetain(_ caps: [String]) -> Isolator {
        Isolator(name: IsolatorName.capabilitiesRetain, value: ["set": .array(caps.map { .string($0) })])
    }

    public static func capabilitiesRemove(_ caps: [String]) -> Isolator {
        Isolator(name: IsolatorName.capabilitiesRemove, value: ["set": .array(caps.map { .string($0) })])
    }

    public static func seccompRetain(_ set: [String], errno: String? = nil) -> Isolator {
        seccomp(IsolatorName.seccompRetain, set, errno)
    }

    public static func seccompRemove(_ set: [String], errno: String? = nil) -> Isolator {
        seccomp(IsolatorName.seccompRemove, set, errno)
    }

    static func seccomp(_ name: String, _ set: [String], _ errno: String?) -> Isolator {
        var o = JSONObject()
        o["set"] = .array(set.map { .string($0) })
        if let errno, !errno.isEmpty { o["errno"] = .string(errno) }
        return Isolator(name: name, value: .object(o))
    }

    public static func noNewPrivileges(_ on: Bool) -> Isolator {
        Isolator(name: IsolatorName.noNewPrivileges, value: .bool(on))
    }

    public static func oomScoreAdj(_ v: Int) -> Isolator {
        Isolator(name: IsolatorName.oomScoreAdj, value: .int(Int64(v)))
    }

    public static func cpuShares(_ v: Int) -> Isolator {
        Isolator(name: IsolatorName.cpuShares, value: .int(Int64(v)))
    }

    public static func selinuxContext(_ c: SELinuxContext) -> Isolator {
        Isolator(name: IsolatorName.selinuxContext, value: ["user": .string(c.user), "role": .string(c.role), "type": .string(c.type), "level": .string(c.level)])
    }

    public static func apparmorProfile(_ profile: String) -> Isolator {
        Isolator(name: IsolatorName.apparmorProfile, value: ["profile": .string(profile)])
    }

    public static func sysctl(_ entries: [(String, String)]) -> Isolator {
        var o = JSONObject()
        for (k, v) in entries { o[k] = .string(v) }
        return Isolator(name: IsolatorName.sysctl, value: .object(o))
    }
}

/// Typed lookups over an isolator list (the last instance wins, as rkt does).
extension Array where Element == Isolator {
    public func last(named name: String) -> Isolator? { last { $0.name == name } }

    /// Typed views of every isolator; invalid ones are skipped (decoding already rejected them).
    public var typed: [IsolatorValue] { compactMap { try? $0.typed() } }
}
