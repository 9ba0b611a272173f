import ArgumentParser
import Stage0

struct EnterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enter", abstract: "Enter the namespaces of an app within a rkt pod")
    func run() throws { throw ValidationError("not implemented yet") }
}
