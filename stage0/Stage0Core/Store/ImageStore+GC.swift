#if canImport(Glibc)
import Glibc
#endif
import RktCommon
import RktOS

/// What `imageGC` removed, and what it could not (gc carries on past single failures).
public struct ImageGCResult: Sendable {
    public var removedTrees: [String] = []
    public var removedImages: [String] = []
    /// Blobs a killed import moved into place without ever indexing them.
    public var removedOrphans: [String] = []
    public var errors: [RktError] = []
}

extension ImageStore {
    /// rkt image gc (rkt-architecture.md §5.5), minus the prepare lock and the pod walk, which
    /// belong to the command: remove every tree not in `referencedTrees`, then, oldest `lastused`
    /// first, every image unused for longer than `gracePeriod` and not in `keepImages`, stopping
    /// at the first image still within the grace period.
    public func imageGC(gracePeriod: Duration, referencedTrees: Set<String>, keepImages: Set<String> = []) -> ImageGCResult {
        var result = ImageGCResult()
        let trees = TreeStore(store: self)
        do {
            for id in try trees.allIDs() where !referencedTrees.contains(id) {
                do {
                    try trees.remove(id)
                    result.removedTrees.append(id)
                } catch {
                    result.errors.append(RktError("cannot remove tree \(id)", cause: error))
                }
            }
        } catch {
            result.errors.append(RktError("cannot list trees", cause: error))
        }
        let (secs, attos) = gracePeriod.components
        let graceNanos = secs * 1_000_000_000 + attos / 1_000_000_000
        let cutoff = nowNanos() - graceNanos
        do {
            for info in try images().sorted(by: { $0.lastUsed < $1.lastUsed }) {
                if info.lastUsed >= cutoff { break }
                if keepImages.contains(info.key) { continue }
                do {
                    try remove(key: info.key)
                    result.removedImages.append(info.key)
                } catch {
                    result.errors.append(RktError("cannot remove image \(info.key)", cause: error))
                }
            }
        } catch {
            result.errors.append(RktError("cannot list images", cause: error))
        }
        result.removedOrphans = removeOrphanBlobs(errors: &result.errors)
        do {
            // Trees of removed images that nobody references any more have gone above; reset
            // the size of images whose trees all went.
            for info in try images() where info.treeStoreSize != 0 {
                let still = try trees.allIDs().contains { (try? trees.imageKey($0)) == info.key }
                if !still { try setTreeStoreSize(key: info.key, size: 0) }
            }
        } catch {
            result.errors.append(RktError("cannot update tree sizes", cause: error))
        }
        return result
    }

    /// Removes blobs and manifests that have no index row: an import killed between moving its
    /// blob into place and writing the row leaves one, invisible to every command but taking
    /// space. The key lock serialises with an import still running: it holds the lock from
    /// the rename until the row is written, so a key still without a row under the lock is dead.
    func removeOrphanBlobs(errors: inout [RktError]) -> [String] {
        var removed: [String] = []
        let indexed: Set<String>
        do { indexed = Set(try images().map(\.key)) } catch {
            errors.append(RktError("cannot list images", cause: error))
            return []
        }
        var candidates = Set<String>()
        for base in ["\(casDir)/blob/sha512", "\(casDir)/imageManifest/sha512"] {
            for shard in (try? FileSystem.listDirectory(base)) ?? [] {
                for name in (try? FileSystem.listDirectory("\(base)/\(shard)")) ?? []
                where name.hasPrefix("sha512-") && !indexed.contains(name) {
                    candidates.insert(name)
                }
            }
        }
        for key in candidates.sorted() {
            do {
                let lock = try FileLock.keyFile(imageLockPath(key: key), exclusive: true)
                defer { _ = lock }
                guard try imageInfo(key: key) == nil else { continue }
                for p in [blobPath(key: key), manifestPath(key: key)] {
                    if unlink(p) != 0, errno != ENOENT { throw RktError.errno("cannot remove", p) }
                }
                removed.append(key)
            } catch {
                errors.append(RktError("cannot remove unindexed image data \(key)", cause: error))
            }
        }
        return removed
    }
}
