import ArgumentParser
import RktCommon
import Stage0

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
        try RunFlow.ensureSuperuser()
        var options = try RunArgParser(command: .runPrepared).parse(arguments)
        let context = try globals.context("run-prepared", adding: options.globalArgs)
        let timer = PhaseTimer(enabled: context.debug, command: "run-prepared")
        let dns = try options.validate(for: .runPrepared)
        timer.mark("parse")
        try RunFlow.runPrepared(options, dns: dns, context: context, timer: timer)
    }
}
