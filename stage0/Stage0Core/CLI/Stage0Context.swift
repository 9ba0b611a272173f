#if canImport(Glibc)
import Glibc
#endif
import RktCommon
import RktOS

/// Everything a subcommand needs from the global flags, resolved once: the data directory,
/// the merged configuration and the insecure options (rkt: rkt/rkt.go `globalFlags`, `getDataDir`).
public struct Stage0Context: Sendable {
    public var dataDir: String
    public var systemConfigDir: String
    public var localConfigDir: String
    public var userConfigDir: String
    public var config: RktConfig
    public var insecure: InsecureOptions
    public var trustKeysFromHTTPS: Bool
    public var debug: Bool
    /// The subcommand name used as the stderr prefix (`fetch: …`).
    public var commandName: String

    public static let defaultDataDir = "/var/lib/rkt"
    public static let defaultSystemConfigDir = "/usr/lib/rkt"
    public static let defaultLocalConfigDir = "/etc/rkt"

    /// Resolves the data directory as rkt does: `--dir` when given explicitly, else `paths.d`
    /// `data`, else /var/lib/rkt; symlinks resolved, made absolute.
    public init(
        dir: String?, systemConfigDir: String = defaultSystemConfigDir,
        localConfigDir: String = defaultLocalConfigDir, userConfigDir: String = "",
        insecure: InsecureOptions = [], trustKeysFromHTTPS: Bool = false, debug: Bool = false,
        commandName: String = "rkt"
    ) throws {
        self.systemConfigDir = systemConfigDir
        self.localConfigDir = localConfigDir
        self.userConfigDir = userConfigDir
        var dirs = [systemConfigDir, localConfigDir]
        if !userConfigDir.isEmpty { dirs.append(userConfigDir) }
        do {
            self.config = try ConfigLoader.load(directories: dirs)
        } catch {
            throw RktError("cannot get configuration", cause: error)
        }
        self.insecure = insecure
        self.trustKeysFromHTTPS = trustKeysFromHTTPS
        self.debug = debug
        self.commandName = commandName
        var chosen = dir ?? ""
        if chosen.isEmpty { chosen = config.paths.dataDir }
        if chosen.isEmpty { chosen = Self.defaultDataDir }
        // A missing directory is fine: it is created on first use (rkt ignores ENOENT here).
        // realpath(3) and getcwd, not Foundation's URL and NSString: every rkt command starts
        // here, and their first use costs about 0.5 ms.
        self.dataDir = FileSystem.canonicalPath(chosen)
    }

    /// Diagnostics that rkt prints only with `--debug`, on stderr, prefixed with the subcommand
    /// or with a component (`image` for fetch diagnostics, as rkt's `image: …` lines).
    public func log(_ message: @autoclosure () -> String, component: String? = nil) {
        guard debug else { return }
        Self.writeStderr("\(component ?? commandName): \(message())\n")
    }

    /// A line on stderr printed whatever `--debug` says (warnings such as the disabled signature check).
    public func warn(_ message: String, component: String? = nil) {
        Self.writeStderr("\(component ?? commandName): \(message)\n")
    }

    /// Prints an error that does not stop the command (`<subcommand>: message: cause`).
    public func printError(_ error: any Error) {
        Self.writeStderr(Self.render(error: error, command: commandName, debug: debug) + "\n")
    }

    /// Ends a command that failed, as rkt does: a flag error as cobra prints it, an `RktError` as
    /// `<command>: message: cause` (the whole chain with `--debug`) with its exit status, anything
    /// else through `describe`; 254 unless the error says otherwise. `rkt` and `rkt-full` share it.
    public static func exit(
        for error: any Error, command: String, debug: Bool,
        describe: (any Error) -> String = { String(describing: $0) }
    ) -> Never {
        if let usage = error as? GlobalFlags.UsageError {
            writeStderr("Error: \(usage.description)\nRun 'rkt \(command) --help' for usage.\n")
            Glibc.exit(RktCommon.ExitCode.failure)
        }
        if let e = error as? RktError {
            writeStderr(render(error: e, command: command, debug: debug) + "\n")
            Glibc.exit(e.exitCode)
        }
        writeStderr("\(command): \(describe(error))\n")
        Glibc.exit(RktCommon.ExitCode.failure)
    }

    /// How an error reaching `main` is printed: `message: innermost cause`, or the whole chain
    /// with `--debug` (rkt: pkg/log/log.go PrintE).
    public static func render(error: any Error, command: String, debug: Bool) -> String {
        let e = (error as? RktError) ?? RktError(String(describing: error))
        return "\(command): " + (debug ? e.debugChain : e.description)
    }

    /// What `holdStderr` kept back; nil while stderr is written straight away.
    nonisolated(unsafe) static var heldStderr: [String]? = nil

    /// `rkt` holds back its --debug lines until it knows it will not hand the command over to
    /// `rkt-full`, which would print them again (ImageSource.swift).
    public static func holdStderr() { heldStderr = [] }

    /// Writes what was held back, and everything after it straight away.
    public static func releaseStderr() {
        guard let held = heldStderr else { return }
        heldStderr = nil
        for s in held { writeStderr(s) }
    }

    /// Drops what was held back (before the hand-over to `rkt-full`).
    public static func discardStderr() { heldStderr = nil }

    public static func writeStderr(_ s: String) {
        if heldStderr != nil {
            heldStderr?.append(s)
            return
        }
        // A closed or full stderr must not turn a diagnostic into a failure.
        try? FileIO.writeAll(fd: 2, Array(s.utf8), what: "stderr")
    }

    // MARK: Well-known paths under the data directory (rkt-architecture.md §2.1)

    public var podsDir: String { dataDir + "/pods" }
    public var casDir: String { dataDir + "/cas" }
    public var casTmpDir: String { dataDir + "/cas/tmp" }
    public var tmpDir: String { dataDir + "/tmp" }
    public var locksDir: String { dataDir + "/locks" }
    public var prepareLockPath: String { dataDir + "/locks/prepareLock" }
}
