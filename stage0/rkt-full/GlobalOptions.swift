import ArgumentParser
import RktCommon
import Stage0
import Stage0Core

/// rkt's persistent flags (rkt: rkt/rkt.go). Every subcommand includes them with
/// `@OptionGroup var globals: GlobalOptions`; `RktMain` moves globals written before the
/// subcommand name to after it, so both `rkt --dir=/x list` and `rkt list --dir=/x` work.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("dir"), help: "rkt data directory (default \"/var/lib/rkt\")")
    var dir: String?

    @Option(name: .customLong("system-config"), help: "system configuration directory")
    var systemConfig: String = Stage0Context.defaultSystemConfigDir

    @Option(name: .customLong("local-config"), help: "local configuration directory")
    var localConfig: String = Stage0Context.defaultLocalConfigDir

    @Option(name: .customLong("user-config"), help: "user configuration directory")
    var userConfig: String = ""

    @Option(
        name: .customLong("insecure-options"),
        help: "comma-separated list of security features to disable. Allowed values: \"none\", \"image\", \"tls\", \"ondisk\", \"http\", \"pubkey\", \"capabilities\", \"paths\", \"seccomp\", \"all-fetch\", \"all-run\", \"all\"")
    var insecureOptions: String = "none"

    @Flag(name: .customLong("trust-keys-from-https"), help: "automatically trust gpg keys fetched from https")
    var trustKeysFromHTTPS = false

    @Flag(name: .customLong("debug"), help: "print out more debug information to stderr")
    var debug = false

    /// The values, for the code shared with the run grammar's direct path.
    var flags: GlobalFlags {
        var f = GlobalFlags()
        f.dir = dir
        f.systemConfig = systemConfig
        f.localConfig = localConfig
        f.userConfig = userConfig
        f.insecureOptions = insecureOptions
        f.trustKeysFromHTTPS = trustKeysFromHTTPS
        f.debug = debug
        return f
    }

    func validate() throws {
        do {
            try flags.validate()
        } catch let e as GlobalFlags.UsageError {
            throw ValidationError(e.description)
        }
    }

    /// Builds the resolved context for the subcommand `command` (the stderr prefix).
    func context(_ command: String) throws -> Stage0Context {
        try flags.context(command)
    }
}
