import ArgumentParser
import RktCommon
import Stage0
import Stage0Core

/// `rkt image gc`: remove unreferenced rendered trees, then images unused for the grace period.
struct ImageGCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Garbage collect local store",
        discussion: "This is intended to be run periodically from a timer or cron job.\n\nThe default grace period is 24h. Use --grace-period=0s to effectively disable the grace-period.")
    @OptionGroup var globals: GlobalOptions

    @Option(name: .customLong("grace-period"), help: "duration to wait since an image was last used before removing it")
    var gracePeriod = "24h"

    func run() throws {
        let grace = try GoDuration.parse(gracePeriod)
        let context = try globals.context("gc")
        let store = try ImageStore(dataDir: context.dataDir)
        let result: ImageGCResult
        do {
            // Exclusive: no pod may start referencing a tree between the walk and the removal.
            let lock = try PrepareLock.take(dataDir: context.dataDir, exclusive: true)
            defer { withExtendedLifetime(lock) {} }
            let referenced = PodTreeReferences.referencedTreeIDs(dataDir: context.dataDir)
            let running = PodTreeReferences.runningImageIDs(dataDir: context.dataDir)
            result = store.imageGC(
                gracePeriod: .nanoseconds(Int64(grace * 1_000_000_000)), referencedTrees: referenced, keepImages: running)
        } catch {
            throw RktError("failed to remove unreferenced treestores", cause: error)
        }
        for id in result.removedTrees { context.warn("removed treestore \"\(id)\"") }
        for key in result.removedOrphans { context.warn("removed unindexed image data \"\(key)\"") }
        for key in result.removedImages { print("successfully removed aci for image: \"\(key)\"") }
        if !result.removedImages.isEmpty { context.warn("\(result.removedImages.count) image(s) successfully removed") }
        for e in result.errors { context.printError(e) }
        if !result.errors.isEmpty { throw RktError("error(s) found while removing images") }
    }
}
