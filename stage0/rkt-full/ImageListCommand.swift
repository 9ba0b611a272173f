import ArgumentParser
import RktCommon
import Stage0
import Stage0Core

/// `rkt image list`: images in the local store.
struct ImageListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List images in the local store",
        discussion: "Optionally, allows the user to specify the fields and sort order.")
    @OptionGroup var globals: GlobalOptions

    @Option(help: "comma-separated list of fields to display. Accepted values: id, name, size, importtime, lastused")
    var fields = "id,name,size,importtime,lastused"

    @Option(help: "sort the output according to the provided comma-separated list of fields. Accepted values: name, importtime, lastused, size")
    var sort = "importtime"

    @Option(help: "choose the sorting order if at least one sort field is provided (--sort). Accepted values: \"asc\", \"desc\"")
    var order = "asc"

    @Flag(name: .customLong("no-legend"), help: "suppress a legend with the list")
    var noLegend = false

    @Flag(help: "use long output format")
    var full = false

    @Option(help: "choose the output format, allowed format includes 'json', 'json-pretty'. If empty, then the result is printed as key value pairs")
    var format = ""

    func run() throws {
        var listing = ImageListing()
        listing.fields = try ImageListing.parseFields(fields, allowed: ImageListing.Field.allCases, flag: "fields")
        listing.sortFields = try ImageListing.parseFields(sort, allowed: ImageListing.sortableFields, flag: "sort")
        switch order.lowercased() {
        case "asc": listing.ascending = true
        case "desc": listing.ascending = false
        default: throw RktError("invalid argument \"\(order)\" for \"--order\" flag", causes: ["wrong sort order"])
        }
        listing.full = full
        listing.noLegend = noLegend
        listing.format = try OutputFormat(parsing: format)

        let context = try globals.context("list")
        let store = try ImageStore(dataDir: context.dataDir)
        print(listing.render(listing.sorted(try listing.entries(from: store))), terminator: "")
    }
}
