import ArgumentParser
import Stage0

struct TrustCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "trust", abstract: "Trust a key for image verification")
    func run() throws { throw ValidationError("not implemented yet") }
}
