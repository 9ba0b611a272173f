import ArgumentParser
import RktCommon
import Stage0
import Stage0Core

/// `rkt list`: every pod in prepare, prepared, run and exited-garbage (rkt: rkt/list.go).
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List pods")
    @OptionGroup var globals: GlobalOptions

    @Flag(help: "use long output format")
    var full = false

    @Flag(name: .customLong("no-legend"), help: "suppress a legend with the list")
    var noLegend = false

    @Option(help: "choose the output format, allowed format includes 'json', 'json-pretty'. If empty, then the result is printed as key value pairs")
    var format = ""

    func run() throws {
        var listing = PodListing()
        listing.full = full
        listing.noLegend = noLegend
        listing.format = try OutputFormat(parsing: format)
        let context = try globals.context("list")
        let (pods, errors) = listing.summaries(dataDir: context.dataDir)
        PodCommandSupport.stdout(listing.render(pods))
        for line in PodListing.renderErrors(errors, operation: "listing pods") {
            PodCommandSupport.stderr("list", line)
        }
    }
}
