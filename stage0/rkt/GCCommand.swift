import ArgumentParser
import Stage0

struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gc", abstract: "Garbage collect rkt pods no longer in use")
    func run() throws { throw ValidationError("not implemented yet") }
}
