import ArgumentParser
import Stage0

/// `rkt`: the stage0 command line. One file per subcommand; this file only lists them.
@main
struct Rkt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rkt",
        abstract: "rkt, the application container runner",
        discussion: "A CLI for running app containers on Linux.",
        version: RktVersion.string,
        subcommands: [
            RunCommand.self, PrepareCommand.self, RunPreparedCommand.self,
            ListCommand.self, StatusCommand.self, StopCommand.self, RmCommand.self, GCCommand.self,
            EnterCommand.self, CatManifestCommand.self, LogsCommand.self,
            FetchCommand.self, ImageCommand.self, TrustCommand.self, ConfigCommand.self,
            VersionCommand.self,
        ]
    )
}
