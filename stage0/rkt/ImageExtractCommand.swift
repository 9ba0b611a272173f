import ArgumentParser
import Stage0

struct ImageExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "extract", abstract: "Extract a stored image to a directory")
    func run() throws { throw ValidationError("not implemented yet") }
}
