import ArgumentParser
import Stage0
import Stage0Core

/// `rkt config`: the merged stage0 configuration as JSON (rkt: rkt/config.go).
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Print configuration for each stage in JSON format")
    @OptionGroup var globals: GlobalOptions

    @Flag(name: .customLong("pretty-print"), inversion: .prefixedNo, help: "apply indent to format the output")
    var prettyPrint = true

    func run() throws {
        let context = try globals.context("config")
        print(JSONOutput.render(context.config.jsonValue, pretty: prettyPrint))
    }
}
