import ArgumentParser
import RktCommon
import Stage0
import Stage0Core

/// `rkt image verify IMAGE…`: re-hash the stored ACI against its ID, then recompute the rendered
/// tree's content hash and rebuild the tree on mismatch.
struct ImageVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Verify one or more images in the local store",
        discussion: "Verify is able to check that, based on the stored hash value, a rendered image on disk has not changed.\n\nThis command may be used if the user suspects disk corruption might have damaged the rkt store.")
    @OptionGroup var globals: GlobalOptions
    @Argument(help: "image IDs or names") var images: [String] = []

    func run() throws {
        guard !images.isEmpty else { throw RktError("must provide at least one image ID") }
        let context = try globals.context("verify")
        let store = try ImageStore(dataDir: context.dataDir)
        let trees = TreeStore(store: store)
        for image in images {
            let key: String
            do { key = try store.key(forImage: image) } catch {
                throw RktError("unable to resolve store key for image \(image)", cause: error)
            }
            // The stored ACI first: a corrupted blob cannot be repaired, only removed and fetched again.
            do { try store.verifyBlob(key: key) } catch {
                throw RktError("image \(image) is corrupted in the store; remove it with rkt image rm and fetch it again", cause: error)
            }
            let id: String
            do { id = try trees.calculateID(key: key) } catch {
                throw RktError("unable to get treestoreID for image \(image)", cause: error)
            }
            do {
                try trees.verify(id)
                print("successfully verified checksum for image: \"\(image)\" (\"\(key)\")")
            } catch {
                let why = (error as? RktError)?.description ?? String(describing: error)
                print("tree cache verification failed for image \(image): \(why);  rebuilding...")
                do { try trees.render(key: key, rebuild: true) } catch {
                    throw RktError("unable to repair cache for image \(image)", cause: error)
                }
            }
        }
    }
}
