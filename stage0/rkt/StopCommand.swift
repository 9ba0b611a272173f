import ArgumentParser
import Stage0

struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop a pod")
    func run() throws { throw ValidationError("not implemented yet") }
}
