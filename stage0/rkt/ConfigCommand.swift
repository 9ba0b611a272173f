import ArgumentParser
import Stage0

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Print configuration for each stage in JSON format")
    func run() throws { throw ValidationError("not implemented yet") }
}
