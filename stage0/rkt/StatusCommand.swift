import ArgumentParser
import Stage0

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Check the status of a rkt pod")
    func run() throws { throw ValidationError("not implemented yet") }
}
