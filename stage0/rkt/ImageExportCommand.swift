import ArgumentParser
import Stage0

struct ImageExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export a stored image to an ACI file")
    func run() throws { throw ValidationError("not implemented yet") }
}
