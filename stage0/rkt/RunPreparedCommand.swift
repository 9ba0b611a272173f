import ArgumentParser
import Stage0

struct RunPreparedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run-prepared", abstract: "Run a prepared application pod in rkt")
    func run() throws { throw ValidationError("not implemented yet") }
}
