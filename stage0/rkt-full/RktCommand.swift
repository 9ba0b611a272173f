import ArgumentParser
import RktCommon
import Stage0
import Stage0Core

#if canImport(Glibc)
import Glibc
#endif

/// `rkt`: the stage0 command line. One file per subcommand; this file lists them and holds
/// `main`, which rewrites argv (globals before the subcommand) and maps errors to rkt's output
/// and exit statuses (rkt-architecture.md §10).
struct Rkt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rkt",
        abstract: "rkt, the application container runner",
        discussion: "A CLI for running app containers on Linux.\n\nTo get the help on any specific command, run \"rkt help command\".",
        version: RktVersion.string,
        subcommands: [
            RunCommand.self, PrepareCommand.self, RunPreparedCommand.self,
            ListCommand.self, StatusCommand.self, StopCommand.self, RmCommand.self, GCCommand.self,
            EnterCommand.self, AttachCommand.self, CatManifestCommand.self, LogsCommand.self,
            FetchCommand.self, ImageCommand.self, TrustCommand.self, ConfigCommand.self,
            VersionCommand.self,
        ]
    )
}

@main
enum RktMain {
    static func main() {
        let argv = Array(CommandLine.arguments.dropFirst())
        // The run grammar's commands are leaves of the top level, so their names alone find them;
        // the whole tree (every command's configuration, about 0.25 ms) only for the others.
        var rewritten = ArgvRewriter.rewrite(argv, root: ArgvRewriter.Node("rkt", topLevelNames.map { ArgvRewriter.Node($0) }))
        if runGrammar(rewritten.path) == nil { rewritten = ArgvRewriter.rewrite(argv, root: tree(Rkt.self)) }
        let args = rewritten.arguments
        if args.isEmpty {
            // rkt's runMissingCommand: complain, show the usage, exit 2.
            Stage0Context.writeStderr("rkt: missing command\n")
            print(Rkt.helpMessage())
            exit(RktCommon.ExitCode.usage)
        }
        if let direct = runGrammar(rewritten.path) {
            let rest = Array(args.dropFirst(rewritten.path.count))
            let flags = rest.prefix { $0 != "--" }
            if flags.contains("-h") || flags.contains("--help") {
                // ArgumentParser hands these commands every token (captureForPassthrough),
                // `--help` included, so it would never print their help itself.
                print(Rkt.helpMessage(for: direct.command))
                exit(RktCommon.ExitCode.success)
            }
            // The run grammar parses its own argv; ArgumentParser would only build its command
            // tree (about 4 ms of type-metadata lookups) to hand the tokens over (GlobalFlags).
            do {
                try direct.execute(GlobalFlags(), rest)
            } catch {
                exitForRunError(error, command: rewritten.leaf, debug: rewritten.debug)
            }
            exit(RktCommon.ExitCode.success)
        }
        var command: any ParsableCommand
        do {
            command = try Rkt.parseAsRoot(args)
        } catch {
            exitForParseError(error, path: rewritten.path)
        }
        do {
            try command.run()
        } catch {
            exitForRunError(error, command: rewritten.leaf, debug: rewritten.debug)
        }
        exit(RktCommon.ExitCode.success)
    }

    /// `Rkt.configuration.subcommands`' names, in order (RktCLITests checks they agree).
    static var topLevelNames: [String] { ArgvRewriter.topLevelNames }

    /// The commands whose whole argv goes to `RunArgParser`, global flags included.
    static func runGrammar(_ path: [String]) -> (command: any ParsableCommand.Type, execute: (GlobalFlags, [String]) throws -> Void)? {
        switch path {
        case ["run"]: return (RunCommand.self, RunCommand.execute)
        case ["prepare"]: return (PrepareCommand.self, PrepareCommand.execute)
        case ["run-prepared"]: return (RunPreparedCommand.self, RunPreparedCommand.execute)
        default: return nil
        }
    }

    /// The command tree as the rewriter sees it (names and nesting only).
    static func tree(_ command: any ParsableCommand.Type) -> ArgvRewriter.Node {
        let c = command.configuration
        return ArgvRewriter.Node(c.commandName ?? "", c.subcommands.map { tree($0) })
    }

    /// `--help`, `help` and `--version` exit 0 through ArgumentParser; any other parse or
    /// validation error is one line on stderr and 254, as cobra's errors are in rkt.
    static func exitForParseError(_ error: any Error, path: [String]) -> Never {
        if Rkt.exitCode(for: error) == .success { Rkt.exit(withError: error) }
        let message = Rkt.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
        let hint = (["rkt"] + path).joined(separator: " ")
        Stage0Context.writeStderr("Error: \(message)\nRun '\(hint) --help' for usage.\n")
        exit(RktCommon.ExitCode.failure)
    }

    /// Subcommands throw `RktError` (printed `<subcommand>: message: cause`, or the whole chain
    /// with --debug) or ArgumentParser's `ExitCode` when they already printed their own output.
    static func exitForRunError(_ error: any Error, command: String, debug: Bool) -> Never {
        if let code = error as? ArgumentParser.ExitCode { exit(code.rawValue) }
        if !(error is GlobalFlags.UsageError), Rkt.exitCode(for: error) == .success { Rkt.exit(withError: error) }
        Stage0Context.exit(for: error, command: command, debug: debug, describe: { Rkt.message(for: $0) })
    }
}
