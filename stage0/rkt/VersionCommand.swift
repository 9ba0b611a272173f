import ArgumentParser
import Stage0

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version and exit")
    func run() throws { throw ValidationError("not implemented yet") }
}
