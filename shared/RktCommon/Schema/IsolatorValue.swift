import RktJSON

/// `{request?, limit?}` of the resource isolators, plus the `default` flag the block and
/// network ones require.
public struct ResourceValue: Sendable, Equatable {
    public var request: Quantity?
    public var limit: Quantity?
    public var isDefault: Bool

    public init(request: Quantity? = nil, limit: Quantity? = nil, isDefault: Bool = false) {
        self.request = request
        self.limit = limit
        self.isDefault = isDefault
    }
}

/// `{set, errno?}` of the seccomp isolators.
public struct SeccompSet: Sendable, Equatable {
    public var set: [String]
    public var errno: String?

    public init(set: [String], errno: String? = nil) {
        self.set = set
        self.errno = errno
    }
}

public struct SELinuxContext: Sendable, Equatable {
    public var user: String
    public var role: String
    public var type: String
    public var level: String

    public init(user: String, role: String, type: String, level: String) {
        self.user = user
        self.role = role
        self.type = type
        self.level = level
    }

    /// `user:role:type:level`
    public var description: String { "\(user):\(role):\(type):\(level)" }
}

/// The decoded value of a standard isolator; anything else stays `.unknown`.
public enum IsolatorValue: Sendable, Equatable {
    case cpu(ResourceValue)
    case memory(ResourceValue)
    case blockBandwidth(ResourceValue)
    case blockIOPS(ResourceValue)
    case networkBandwidth(ResourceValue)
    case capabilitiesRetain([String])
    case capabilitiesRemove([String])
    case seccompRetain(SeccompSet)
    case seccompRemove(SeccompSet)
    case noNewPrivileges(Bool)
    case oomScoreAdj(Int)
    case cpuShares(Int)
    case selinuxContext(SELinuxContext)
    case apparmorProfile(String)
    case sysctl([(key: String, value: String)])
    case unknown(name: String, value: JSONValue)

    public static func == (a: IsolatorValue, b: IsolatorValue) -> Bool {
        switch (a, b) {
        case (.cpu(let x), .cpu(let y)), (.memory(let x), .memory(let y)), (.blockBandwidth(let x), .blockBandwidth(let y)),
            (.blockIOPS(let x), .blockIOPS(let y)), (.networkBandwidth(let x), .networkBandwidth(let y)):
            return x == y
        case (.capabilitiesRetain(let x), .capabilitiesRetain(let y)), (.capabilitiesRemove(let x), .capabilitiesRemove(let y)):
            return x == y
        case (.seccompRetain(let x), .seccompRetain(let y)), (.seccompRemove(let x), .seccompRemove(let y)): return x == y
        case (.noNewPrivileges(let x), .noNewPrivileges(let y)): return x == y
        case (.oomScoreAdj(let x), .oomScoreAdj(let y)), (.cpuShares(let x), .cpuShares(let y)): return x == y
        case (.selinuxContext(let x), .selinuxContext(let y)): return x == y
        case (.apparmorProfile(let x), .apparmorProfile(let y)): return x == y
        case (.sysctl(let x), .sysctl(let y)): return x.map(\.key) == y.map(\.key) && x.map(\.value) == y.map(\.value)
        case (.unknown(let n1, let v1), .unknown(let n2, let v2)): return n1 == n2 && v1 == v2
        default: return false
        }
    }

    /// Decodes and validates `value` for isolator `name`; errors are prefixed with `path`.
    public static func parse(name: String, value: JSONValue, path: String = "") throws -> IsolatorValue {
        func fail(_ reason: String) -> RktError { schemaError(path, "\(name): \(reason)") }
        func object() throws -> JSONObject {
            guard case .object(let o) = value else { throw fail("value must be an object") }
            return o
        }
        func quantity(_ o: JSONObject, _ key: String) throws -> Quantity? {
            guard let v = o[key], !v.isNull else { return nil }
            let text: String
            switch v {
            case .string(let s): text = s
            case .int(let i): text = String(i)
            default: throw fail("\(key) must be a quantity string")
            }
            do { return try Quantity(text) } catch { throw fail("invalid \(key) quantity \"\(text)\"") }
        }
        func resource(blockLike: Bool) throws -> ResourceValue {
            let o = try object()
            let isDefault = o["default"]?.boolValue ?? false
            let r = ResourceValue(request: try quantity(o, "request"), limit: try quantity(o, "limit"), isDefault: isDefault)
            if blockLike {
                guard isDefault else { throw fail("default must be true") }
                guard r.request == nil else { throw fail("request not supported by this resource, must be empty") }
            } else {
                guard !isDefault else { throw fail("default must be false") }
                if let l = r.limit, l.isZero { throw fail("limit must not be zero") }
            }
            return r
        }
        func stringSet() throws -> [String] {
            let o = try object()
            guard let arr = o["set"]?.arrayValue, !arr.isEmpty else { throw fail("set must be non-empty") }
            var out: [String] = []
            for e in arr {
                guard let s = e.stringValue, !s.isEmpty else { throw fail("set entries must be non-empty strings") }
                out.append(s)
            }
            return out
        }
        func seccomp() throws -> SeccompSet {
            let set = try stringSet()
            let errno = try object()["errno"]?.stringValue
            if let errno, !errno.isEmpty {
                let u = Array(errno.utf8)
                let ok = u[0] == UInt8(ascii: "E") && u.dropFirst().allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) }
                guard ok else { throw fail("invalid errno \"\(errno)\"") }
            }
            return SeccompSet(set: set, errno: errno?.isEmpty == true ? nil : errno)
        }
        func integer(_ range: ClosedRange<Int>) throws -> Int {
            guard let i = value.intValue, case .int = value else { throw fail("value must be an integer") }
            guard range.contains(i) else { throw fail("value \(i) out of range \(range.lowerBound)..\(range.upperBound)") }
            return i
        }

        switch name {
        case IsolatorName.cpu:
            let r = try resource(blockLike: false)
            if let l = r.limit {
                guard !l.milliValueOverflows else { throw fail("cpu limit exceeds the maximum millivalue") }
                // The kernel's minimum CFS quota is 1ms of a 100ms period.
                guard l.milliValue >= 10 else { throw fail("cpu limit \(l) is below the minimum of 10m") }
            }
            return .cpu(r)
        case IsolatorName.memory: return .memory(try resource(blockLike: false))
        case IsolatorName.blockBandwidth: return .blockBandwidth(try resource(blockLike: true))
        case IsolatorName.blockIOPS: return .blockIOPS(try resource(blockLike: true))
        case IsolatorName.networkBandwidth: return .networkBandwidth(try resource(blockLike: true))
        case IsolatorName.capabilitiesRetain, IsolatorName.capabilitiesRemove:
            let set = try stringSet()
            for c in set where !LinuxCapability.isKnown(c) { throw fail("unknown capability \"\(c)\"") }
            return name == IsolatorName.capabilitiesRetain ? .capabilitiesRetain(set) : .capabilitiesRemove(set)
        case IsolatorName.seccompRetain: return .seccompRetain(try seccomp())
        case IsolatorName.seccompRemove: return .seccompRemove(try seccomp())
        case IsolatorName.noNewPrivileges:
            guard let b = value.boolValue else { throw fail("value must be a boolean") }
            return .noNewPrivileges(b)
        case IsolatorName.oomScoreAdj: return .oomScoreAdj(try integer(-1000...1000))
        case IsolatorName.cpuShares: return .cpuShares(try integer(2...262144))
        case IsolatorName.selinuxContext:
            let o = try object()
            var parts: [String] = []
            for k in ["user", "role", "type", "level"] {
                guard let s = o[k]?.stringValue, !s.isEmpty else { throw fail("\(k) must be set") }
                if k != "level", s.contains(":") { throw fail("\(k) must not contain ':'") }
                parts.append(s)
            }
            return .selinuxContext(SELinuxContext(user: parts[0], role: parts[1], type: parts[2], level: parts[3]))
        case IsolatorName.apparmorProfile:
            guard let p = try object()["profile"]?.stringValue, !p.isEmpty else { throw fail("profile must be set") }
            return .apparmorProfile(p)
        case IsolatorName.sysctl:
            var out: [(key: String, value: String)] = []
            for (k, v) in try object() {
                guard let s = v.stringValue else { throw fail("value of \(k) must be a string") }
                guard !k.isEmpty else { throw fail("empty sysctl key") }
                out.append((k, s))
            }
            return .sysctl(out)
        default:
            return .unknown(name: name, value: value)
        }
    }
}

/// Rules about the isolator list as a whole (multiplicity, conflicts, context).
enum IsolatorRules {
    static func validateAppIsolators(_ isolators: [Isolator], path: String) throws {
        for (i, iso) in isolators.enumerated() {
            let p = SchemaPath.index(path, i)
            try ACIdentifier.validate(iso.name, path: SchemaPath.field(p, "name"))
            // The lib rejects unknown isolators inside an app (appc-docker-cni.md §4).
            guard iso.isKnown else { throw schemaError(SchemaPath.field(p, "name"), "invalid isolator \"\(iso.name)\"") }
            if iso.name == IsolatorName.sysctl {
                throw schemaError(SchemaPath.field(p, "name"), "isolator \"\(iso.name)\" is only valid at pod level")
            }
            _ = try iso.typed(path: SchemaPath.field(p, "value"))
        }
        try checkMultiplicity(isolators, path: path)
    }

    static func validatePodIsolators(_ isolators: [Isolator], path: String) throws {
        for (i, iso) in isolators.enumerated() {
            let p = SchemaPath.index(path, i)
            try ACIdentifier.validate(iso.name, path: SchemaPath.field(p, "name"))
            _ = try iso.typed(path: SchemaPath.field(p, "value"))
        }
        try checkMultiplicity(isolators, path: path)
    }

    static func checkMultiplicity(_ isolators: [Isolator], path: String) throws {
        var seen = Set<String>()
        for (i, iso) in isolators.enumerated() {
            if IsolatorName.single.contains(iso.name), seen.contains(iso.name) {
                throw schemaError(SchemaPath.index(path, i), "isolators set contains too many instances of type \(iso.name)")
            }
            seen.insert(iso.name)
        }
        let pairs = [
            (IsolatorName.seccompRetain, IsolatorName.seccompRemove),
            (IsolatorName.capabilitiesRetain, IsolatorName.capabilitiesRemove),
        ]
        for (a, b) in pairs where seen.contains(a) && seen.contains(b) {
            throw schemaError(path, "isolators set contains incompatible types: cannot have both \(a) and \(b)")
        }
    }
}
