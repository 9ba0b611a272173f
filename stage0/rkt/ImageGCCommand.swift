import ArgumentParser
import Stage0

struct ImageGCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gc", abstract: "Garbage collect local store")
    func run() throws { throw ValidationError("not implemented yet") }
}
