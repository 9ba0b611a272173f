import RktCommon

/// One image in a rendering list (appc acirenderer `Image`).
struct DepImage {
    var key: String
    var manifest: StoreManifest
    var level: Int
    /// Names and keys from the top image down to this one, for cycle messages.
    var chain: [(key: String, name: String)]
    /// The path whitelist of the topmost ancestor that has one: it governs this whole subtree.
    var governingWhitelist: Set<String>?
}

extension TreeStore {
    static let maxDepth = 32
    static let maxImages = 256

    /// The image and its dependencies, top-down in acirenderer order: `A → [B, C]`, `C → [D]`
    /// gives A, C, D, B (each dependency is inserted right after its parent, so later ones end
    /// up first). Rendering walks this list backwards: B, D, C, A, the top image winning.
    func dependencyList(key: String) throws -> [DepImage] {
        let top = try store.storeManifest(key: key)
        var list = [DepImage(key: key, manifest: top, level: 0, chain: [(key, top.name)], governingWhitelist: nil)]
        var i = 0
        while i < list.count {
            let img = list[i]
            var inherited = img.governingWhitelist
            if inherited == nil, !img.manifest.pathWhitelist.isEmpty { inherited = Set(img.manifest.pathWhitelist) }
            for d in img.manifest.dependencies {
                let depKey = try resolveDependency(d, of: img)
                if let loop = img.chain.firstIndex(where: { $0.key == depKey }) {
                    let names = img.chain[loop...].map { $0.name } + [d.imageName]
                    throw RktError("dependency cycle: " + names.joined(separator: " → "))
                }
                guard img.level + 1 <= TreeStore.maxDepth else {
                    throw RktError("dependency tree of image \(key) deeper than \(TreeStore.maxDepth)")
                }
                guard list.count < TreeStore.maxImages else {
                    throw RktError("dependency tree of image \(key) has more than \(TreeStore.maxImages) images")
                }
                let m = try store.storeManifest(key: depKey)
                let dep = DepImage(key: depKey, manifest: m, level: img.level + 1,
                                   chain: img.chain + [(depKey, m.name)], governingWhitelist: inherited)
                list.insert(dep, at: i + 1)
            }
            i += 1
        }
        return list
    }

    /// A dependency resolves by image ID when given, else by name and labels, from the store only
    /// (fetching missing dependencies is the fetcher's job).
    private func resolveDependency(_ d: StoreDependency, of img: DepImage) throws -> String {
        do {
            if let id = d.imageID {
                let k = try store.resolveKey(id)
                if let size = d.size, let info = try store.imageInfo(key: k), UInt64(info.size) != size {
                    throw RktError("dependency \(d.imageName) has size \(info.size), manifest says \(size)")
                }
                return k
            }
            guard let k = try store.find(name: d.imageName, labels: d.labels) else {
                throw RktError("no image found with name \"\(d.imageName)\"")
            }
            return k
        } catch {
            throw RktError("cannot resolve dependency \(d.imageName) of image \(img.manifest.name)", cause: error)
        }
    }
}
