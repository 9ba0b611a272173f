import ArgumentParser
import RktCommon
import Stage0
import Stage0Core

/// `rkt run-prepared UUID`: runs a prepared pod with the runtime-only flags of this command line.
struct RunPreparedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-prepared", abstract: "Run a prepared application pod in rkt",
        discussion: """
            UUID must have been acquired via `rkt prepare`

            \(RunFlagsHelp.runtimeFlags)
            """)
    @OptionGroup var globals: GlobalOptions

    @Argument(parsing: .captureForPassthrough, help: "[--net=...] [--dns=...] [--hostname=...] [--interactive] UUID")
    var arguments: [String] = []

    func run() throws {
        try Self.execute(globals: globals.flags, arguments: arguments)
    }

    /// Also `rkt`'s direct path (`RktMain`), with the global flags all among `arguments`.
    static func execute(globals: GlobalFlags, arguments: [String]) throws {
        let s = try RunFlow.begin(.runPrepared, globals: globals, arguments: arguments)
        try RunFlow.runPrepared(s.options, dns: s.dns, context: s.context, timer: s.timer)
    }
}
