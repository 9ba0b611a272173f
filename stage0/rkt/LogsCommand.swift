import ArgumentParser
import Stage0

struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print the logs of the apps of a pod")
    @OptionGroup var globals: GlobalOptions
    func run() throws { throw ValidationError("not implemented yet") }
}
