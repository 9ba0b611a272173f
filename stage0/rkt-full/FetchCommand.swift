import ArgumentParser
import RktCommon
import Stage0
import Stage0Core

/// `rkt fetch IMAGE…`: put images into the local store and print their keys.
struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch", abstract: "Fetch image(s) and store them in the local store",
        discussion: "Locates and downloads remote ACIs and their attached signatures.\n\nIf the ACI is available in the local store, the image will not be fetched again.")
    @OptionGroup var globals: GlobalOptions

    @Option(name: .customLong("pull-policy"), help: "when to pull an image (new, update, never)")
    var pullPolicy = "update"

    @Flag(help: "print the full image hash after fetching")
    var full = false

    @Flag(name: .customLong("store-only"), help: .hidden)
    var storeOnly = false

    @Flag(name: .customLong("no-store"), help: .hidden)
    var noStore = false

    /// Images, each optionally followed by `--signature FILE` (rkt stops flag parsing at the
    /// first image so signatures attach to the image before them).
    @Argument(parsing: .captureForPassthrough, help: "IMAGE [--signature=FILE] ...")
    var images: [String] = []

    func run() throws {
        let requests = try FetchArguments.parse(images)
        guard !requests.isEmpty else { throw RktError("must provide at least one image") }
        var policy = try PullPolicy(parsing: pullPolicy)
        if storeOnly && noStore { throw RktError("both --store-only and --no-store specified") }
        if storeOnly {
            Stage0Context.writeStderr("Flag --store-only has been deprecated, please use --pull-policy=never\n")
            policy = .never
        }
        if noStore {
            Stage0Context.writeStderr("Flag --no-store has been deprecated, please use --pull-policy=update\n")
            policy = .update
        }
        let context = try globals.context("fetch")
        let store = try ImageStore(dataDir: context.dataDir)
        let fetcher = ImageFetcher(context: context, store: store)
        // rkt fetches everything first, then prints one key per image.
        let keys = try requests.map { try fetcher.fetch($0.image, pullPolicy: policy, signature: $0.signature) }
        for key in keys { print(full ? key : ImageFetcher.shortHash(key)) }
    }
}
