import ArgumentParser
import Stage0

struct RmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove all files and resources associated with an exited pod")
    func run() throws { throw ValidationError("not implemented yet") }
}
