import RktCommon
import Stage0Core

/// Removing images with rkt's messages (rkt: rkt/image_rm.go `rmImages`), shared by
/// `image rm` and `image gc`: one stdout line per removed image, a count on stderr, and an
/// error (exit 254) when any image could not be resolved or removed.
public struct ImageRemoval {
    public let context: Stage0Context
    public let store: ImageStore

    public init(context: Stage0Context, store: ImageStore) {
        self.context = context
        self.store = store
    }

    /// `inputs` are ID prefixes or names; duplicates (a name and its ID) are removed once.
    public func remove(_ inputs: [String]) throws {
        var keys: [String] = []
        var failed = 0
        for input in inputs {
            do {
                let key = try store.key(forImage: input)
                if !keys.contains(key) { keys.append(key) }
            } catch {
                failed += 1
                context.printError(error)
            }
        }
        try removeKeys(keys, unresolved: failed)
    }

    /// Removes already-resolved keys.
    public func removeKeys(_ keys: [String], unresolved: Int = 0) throws {
        var done = 0
        var errors = 0
        for key in keys {
            let name = (try? store.imageInfo(key: key))?.name ?? ""
            do {
                try store.remove(key: key)
            } catch {
                errors += 1
                context.printError(RktError("error removing aci for image \"\(key)\" (\"\(name)\")", cause: error))
                continue
            }
            print("successfully removed aci for image: \"\(key)\"")
            done += 1
        }
        if done > 0 { context.warn("\(done) image(s) successfully removed") }
        if errors > 0 { context.warn("\(errors) image(s) cannot be removed") }
        if errors + unresolved > 0 { throw RktError("error(s) found while removing images") }
    }
}
