import ArgumentParser
import Stage0

struct ImageListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List images in the local store")
    func run() throws { throw ValidationError("not implemented yet") }
}
