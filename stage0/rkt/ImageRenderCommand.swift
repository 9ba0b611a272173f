import ArgumentParser
import Stage0

struct ImageRenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "render", abstract: "Render a stored image to a directory with all its dependencies")
    func run() throws { throw ValidationError("not implemented yet") }
}
