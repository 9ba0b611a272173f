import ArgumentParser
import Stage0

struct ImageVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Verify the rendered image of a stored image has not been tampered with")
    func run() throws { throw ValidationError("not implemented yet") }
}
