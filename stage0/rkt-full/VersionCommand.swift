import ArgumentParser
import Stage0
import Stage0Core

/// `rkt version`: the same five lines as rkt (rkt: rkt/version.go), Swift in place of Go.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version and exit")
    @OptionGroup var globals: GlobalOptions

    func run() throws {
        print(VersionInfo.text)
    }
}
