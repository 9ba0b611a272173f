import RktCommon

/// rkt's persistent flags as values (rkt: rkt/rkt.go `globalFlags`).
///
/// `rkt`'s ArgumentParser `GlobalOptions` declares them for help and for most subcommands; the run
/// grammar (`rkt run`, `prepare`, `run-prepared`) meets them among its own arguments
/// (`RunOptions.globalArgs`, always `--name` or `--name=value`) and applies them here, and `rkt`
/// parses those three commands without ArgumentParser at all unless help is asked for: building
/// ArgumentParser's command tree costs about 4 ms of type-metadata lookups per start, a tenth of
/// a whole `rkt run` with the fly stage1 (docs/performance.md).
public struct GlobalFlags: Sendable, Equatable {
    public var dir: String?
    public var systemConfig = Stage0Context.defaultSystemConfigDir
    public var localConfig = Stage0Context.defaultLocalConfigDir
    public var userConfig = ""
    public var insecureOptions = "none"
    public var trustKeysFromHTTPS = false
    public var debug = false

    public init() {}

    /// A global flag's value did not parse: reported like any other flag error of the command line.
    public struct UsageError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Applies `--name` / `--name=value` tokens, later ones winning (pflag). Names that are not
    /// global flags are ignored: the run grammar only hands over the ones it recognised.
    public mutating func apply(_ tokens: [String]) throws {
        for token in tokens {
            guard token.hasPrefix("--") else { continue }
            let parts = token.dropFirst(2).split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            let value = parts.count == 2 ? String(parts[1]) : nil
            switch name {
            case "dir": dir = value ?? ""
            case "system-config": systemConfig = value ?? ""
            case "local-config": localConfig = value ?? ""
            case "user-config": userConfig = value ?? ""
            case "insecure-options": insecureOptions = value ?? ""
            case "trust-keys-from-https": trustKeysFromHTTPS = try Self.bool(name, value)
            case "debug": debug = try Self.bool(name, value)
            default: break
            }
        }
    }

    /// Checks what ArgumentParser's `validate()` checks for the other subcommands.
    public func validate() throws {
        do {
            _ = try InsecureOptions(parsing: insecureOptions)
        } catch let e as RktError {
            throw UsageError(description: e.description)
        }
    }

    /// Builds the resolved context for the subcommand `command` (the stderr prefix).
    public func context(_ command: String) throws -> Stage0Context {
        try Stage0Context(
            dir: dir, systemConfigDir: systemConfig, localConfigDir: localConfig,
            userConfigDir: userConfig, insecure: InsecureOptions(parsing: insecureOptions),
            trustKeysFromHTTPS: trustKeysFromHTTPS, debug: debug, commandName: command)
    }

    /// The context of a run-grammar command: these flags, then the `--name[=value]` tokens its
    /// grammar met among the arguments.
    public func context(_ command: String, adding tokens: [String]) throws -> Stage0Context {
        var flags = self
        try flags.apply(tokens)
        try flags.validate()
        return try flags.context(command)
    }

    /// Go's boolean flag: bare means true, `=value` goes through strconv.ParseBool.
    static func bool(_ name: String, _ raw: String?) throws -> Bool {
        guard let raw else { return true }
        guard let b = RunFlagValues.parseBool(raw) else {
            throw UsageError(description: "invalid argument \"\(raw)\" for \"--\(name)\" flag: strconv.ParseBool: parsing \"\(raw)\": invalid syntax")
        }
        return b
    }
}
