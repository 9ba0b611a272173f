import RktCommon
import RktJSON
import RktOS

/// The security settings of one app, computed from its isolators and the `--disable-*` flags
/// (rkt-architecture.md §4.3). Pure: the seccomp filter is described here and compiled later.
public struct AppSecurity: Sendable, Equatable {
    /// Capability names of the bounding set (nil: every capability, `--disable-capabilities-restriction`).
    public var capabilities: [String]?
    /// Syscall filter, or nil when no filter applies.
    public var seccomp: SeccompFilter?
    public var noNewPrivileges: Bool

    public static let capsRetain = "os/linux/capabilities-retain-set"
    public static let capsRemove = "os/linux/capabilities-remove-set"
    public static let seccompRetain = "os/linux/seccomp-retain-set"
    public static let seccompRemove = "os/linux/seccomp-remove-set"
    public static let noNewPrivs = "os/linux/no-new-privileges"

    /// Plans an app's capabilities, seccomp and no-new-privileges.
    public static func plan(
        isolators: [Isolator], uid: UInt32, disableCapabilities: Bool, disableSeccomp: Bool
    ) throws -> AppSecurity {
        let retain = isolators.filter { $0.name == capsRetain }
        let remove = isolators.filter { $0.name == capsRemove }
        if !retain.isEmpty && !remove.isEmpty {
            throw RktError("cannot have both \(capsRetain) and \(capsRemove) isolators")
        }
        var caps: [String]? = Capabilities.defaultSet
        if let r = retain.last { caps = try set(r) }
        if !remove.isEmpty {
            let drop = Set(try remove.flatMap(set).map(normalizeCap))
            caps = Capabilities.defaultSet.filter { !drop.contains($0) }
        }
        if disableCapabilities { caps = nil }
        // Reject names the kernel does not know before anything runs.
        for c in caps ?? [] { _ = try Capabilities.number(c) }

        let sRetain = isolators.filter { $0.name == seccompRetain }
        let sRemove = isolators.filter { $0.name == seccompRemove }
        if sRetain.count + sRemove.count > 1 {
            throw RktError("only one seccomp isolator per app is allowed")
        }
        var filter: SeccompFilter? = SeccompSets.defaultFilter
        if let iso = sRetain.first ?? sRemove.first {
            let names = try set(iso)
            let errnoValue = try iso.value["errno"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
                .map(SeccompCompiler.errnoNumber)
            let expanded = try SeccompSets.expand(names)
            if iso.name == seccompRetain {
                filter = expanded.map { SeccompFilter(mode: .whitelist, syscalls: $0, errno: errnoValue) }
            } else if let list = expanded, !list.isEmpty {
                filter = SeccompFilter(mode: .blacklist, syscalls: list, errno: errnoValue)
            } else {
                // `@appc.io/empty` removes nothing: the default whitelist stays.
                filter = SeccompFilter(mode: .whitelist, syscalls: SeccompSets.defaultWhitelist, errno: errnoValue)
            }
        }
        if disableSeccomp { filter = nil }

        var nnp = isolators.contains { $0.name == noNewPrivs && $0.value.boolValue == true }
        // rkt forces no-new-privileges whenever a seccomp filter applies to a non-root app: the
        // kernel refuses an unprivileged filter without it.
        if filter != nil && uid != 0 { nnp = true }
        return AppSecurity(capabilities: caps, seccomp: filter, noNewPrivileges: nnp)
    }

    static func set(_ iso: Isolator) throws -> [String] {
        let names = (iso.value["set"]?.arrayValue ?? []).compactMap(\.stringValue)
        if names.isEmpty { throw RktError("invalid isolator \(iso.name): set must be non-empty") }
        return names
    }

    static func normalizeCap(_ n: String) -> String {
        let u = n.uppercased()
        return u.hasPrefix("CAP_") ? u : "CAP_" + u
    }
}
