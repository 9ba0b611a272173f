import ArgumentParser
import Stage0

struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prepare", abstract: "Prepare to run image(s) in a pod in rkt")
    func run() throws { throw ValidationError("not implemented yet") }
}
