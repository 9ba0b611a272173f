import ArgumentParser
import Stage0

struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fetch", abstract: "Fetch image(s) and store them in the local store")
    func run() throws { throw ValidationError("not implemented yet") }
}
