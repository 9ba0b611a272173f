import ArgumentParser
import Stage0

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List pods")
    func run() throws { throw ValidationError("not implemented yet") }
}
