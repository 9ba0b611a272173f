import ArgumentParser
import Stage0

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run image(s) in a pod in rkt")
    func run() throws { throw ValidationError("not implemented yet") }
}
