import CShim
import Foundation
import RktCommon
import Testing
@testable import Stage0
@testable import Stage0Core

@Suite("Tree store rendering")
struct StoreRenderTests {
    func dep(_ name: String, _ key: String? = nil) -> [String: Any] {
        var d: [String: Any] = ["imageName": name]
        if let key { d["imageID"] = key }
        return d
    }

    @Test("dependencies render depth-first, base first: A → [B, C], C → [D] layers B, D, C, A")
    func order() throws {
        let dir = try StoreTest.tempDir("order")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        let b = try StoreTest.importTar(StoreTest.aci("example.com/b", files: ["f": "B", "g": "B", "h": "B", "only-b": "B"]), into: store, dir: dir, name: "b")
        let d = try StoreTest.importTar(StoreTest.aci("example.com/d", files: ["f": "D", "g": "D", "h": "D", "only-d": "D"]), into: store, dir: dir, name: "d")
        let c = try StoreTest.importTar(StoreTest.aci("example.com/c", files: ["f": "C", "g": "C"], deps: [dep("example.com/d")]), into: store, dir: dir, name: "c")
        let a = try StoreTest.importTar(StoreTest.aci("example.com/a", files: ["f": "A"], deps: [dep("example.com/b", b), dep("example.com/c")]), into: store, dir: dir, name: "a")
        let trees = TreeStore(store: store)
        #expect(try trees.dependencyList(key: a).map { $0.key } == [a, c, d, b])
        let id = try trees.render(key: a)
        #expect(id.hasPrefix("deps-sha512-") && id.count == "deps-".count + 71)
        let root = trees.rootfsPath(id)
        #expect(StoreTest.read("\(root)/f") == "A")
        #expect(StoreTest.read("\(root)/g") == "C")
        #expect(StoreTest.read("\(root)/h") == "D")
        #expect(StoreTest.read("\(root)/only-b") == "B")
        #expect(StoreTest.read("\(root)/only-d") == "D")
        #expect(StoreTest.read("\(trees.path(id))/image") == a)
        #expect(StoreTest.read("\(trees.path(id))/manifest") == StoreTest.read("\(dir)/data/cas/imageManifest/sha512/\(ImageStore.shard(a))/\(a)"))
        #expect(trees.isRendered(id))
        try trees.verify(id)
        #expect(try store.imageInfo(key: a).map { $0.treeStoreSize > 0 } == true)
        #expect(try trees.allIDs() == [id])
    }

    @Test("a pathWhitelist filters the image's own files and governs every dependency below it")
    func pathWhitelist() throws {
        let dir = try StoreTest.tempDir("pwl")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        _ = try StoreTest.importTar(StoreTest.aci("example.com/base", files: ["etc/keep": "base", "etc/drop": "base", "bin/sh": "sh"]), into: store, dir: dir, name: "base")
        let top = try StoreTest.importTar(StoreTest.aci("example.com/top", files: ["app": "top", "junk": "top"], deps: [dep("example.com/base")],
                                                        pathWhitelist: ["/etc/keep", "/bin/sh", "/app"]), into: store, dir: dir, name: "top")
        let trees = TreeStore(store: store)
        let root = trees.rootfsPath(try trees.render(key: top))
        #expect(StoreTest.read("\(root)/etc/keep") == "base")
        #expect(StoreTest.read("\(root)/bin/sh") == "sh")
        #expect(StoreTest.read("\(root)/app") == "top")
        #expect(!StoreTest.exists("\(root)/etc/drop"))
        #expect(!StoreTest.exists("\(root)/junk"))
    }

    @Test("a dependency cycle is refused with the chain of names")
    func cycle() throws {
        let dir = try StoreTest.tempDir("cycle")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        let a = try StoreTest.importTar(StoreTest.aci("example.com/a", deps: [dep("example.com/b")]), into: store, dir: dir, name: "a")
        _ = try StoreTest.importTar(StoreTest.aci("example.com/b", deps: [dep("example.com/a")]), into: store, dir: dir, name: "b")
        do {
            _ = try TreeStore(store: store).render(key: a)
            Issue.record("render succeeded")
        } catch let e as RktError {
            #expect(e.debugChain.contains("dependency cycle: example.com/a → example.com/b → example.com/a"), "\(e.debugChain)")
        }
        #expect(try TreeStore(store: store).allIDs().isEmpty)
    }

    @Test("a missing dependency is an error naming it")
    func missingDependency() throws {
        let dir = try StoreTest.tempDir("missing")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        let a = try StoreTest.importTar(StoreTest.aci("example.com/a", deps: [dep("example.com/nowhere")]), into: store, dir: dir, name: "a")
        do {
            _ = try TreeStore(store: store).render(key: a)
            Issue.record("render succeeded")
        } catch let e as RktError {
            #expect(e.debugChain.contains("example.com/nowhere"))
        }
    }

    @Test("rendering one image from several threads at once yields one complete tree")
    func concurrentRender() throws {
        let dir = try StoreTest.tempDir("crender")
        defer { StoreTest.cleanup(dir) }
        let data = "\(dir)/data"
        var files: [String: String] = [:]
        for i in 0..<100 { files["d/f\(i)"] = String(i) }
        let key = try StoreTest.importTar(StoreTest.aci("example.com/r", files: files), into: try ImageStore(dataDir: data), dir: dir, name: "r")
        let ids = Set(try ThreadResults.run(3) { _ in try TreeStore(store: try ImageStore(dataDir: data)).render(key: key) })
        #expect(ids.count == 1)
        let trees = TreeStore(store: try ImageStore(dataDir: data))
        let id = try #require(ids.first)
        try trees.verify(id)
        #expect(StoreTest.files(under: trees.rootfsPath(id)).count == 100)
    }

    @Test("verify notices a file deleted from a rendered tree; a rebuild repairs it")
    func verify() throws {
        let dir = try StoreTest.tempDir("verify")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        let k = try StoreTest.importTar(StoreTest.aci("example.com/v", files: ["inspect": "binary"]), into: store, dir: dir, name: "v")
        let trees = TreeStore(store: store)
        let id = try trees.render(key: k)
        #expect(unlink("\(trees.rootfsPath(id))/inspect") == 0)
        #expect(throws: RktError.self) { try trees.verify(id) }
        _ = try trees.render(key: k, rebuild: true)
        try trees.verify(id)
    }

    @Test("user.* xattrs of an image reach the rendered tree, and the tree's hash covers them")
    func xattrs() throws {
        let dir = try StoreTest.tempDir("xattr")
        defer { StoreTest.cleanup(dir) }
        // A tar with a PAX xattr record, written by GNU tar from a file that carries one.
        try FileManager.default.createDirectory(atPath: "\(dir)/src/rootfs", withIntermediateDirectories: true)
        try StoreTest.write(Array(StoreTest.manifest("example.com/xattr").utf8), to: "\(dir)/src/manifest")
        try StoreTest.write(Array("data".utf8), to: "\(dir)/src/rootfs/file")
        func setXattr(_ path: String, _ value: String) throws {
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            let rc = Array(value.utf8).withUnsafeBytes { rkt_fsetxattr(fd, "user.rkt-test", $0.baseAddress, $0.count, 0) }
            try #require(rc == 0, "this filesystem takes no user.* xattrs: errno \(errno)")
        }
        func getXattr(_ path: String) -> String? {
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            var buf = [UInt8](repeating: 0, count: 64)
            let n = buf.withUnsafeMutableBytes { rkt_fgetxattr(fd, "user.rkt-test", $0.baseAddress, 64) }
            return n < 0 ? nil : String(decoding: buf[0..<n], as: UTF8.self)
        }
        try setXattr("\(dir)/src/rootfs/file", "v1")
        #expect(try StoreTest.run("/bin/tar", ["--xattrs", "--xattrs-include=user.*", "-C", "\(dir)/src", "-cf", "\(dir)/x.aci", "manifest", "rootfs"]) == 0)

        let store = try ImageStore(dataDir: "\(dir)/data")
        let k = try store.importACI(path: "\(dir)/x.aci", latest: false).key
        let trees = TreeStore(store: store)
        let id = try trees.render(key: k)
        let rendered = "\(trees.rootfsPath(id))/file"
        #expect(getXattr(rendered) == "v1")
        try trees.verify(id)
        // The hash covers the xattr: a changed value is noticed like a changed file.
        try setXattr(rendered, "v2")
        #expect(throws: RktError.self) { try trees.verify(id) }
    }

    @Test("image extract and render write into a directory, rootfs-only or whole, refusing to overwrite unless asked")
    func extractAndRenderTo() throws {
        let dir = try StoreTest.tempDir("extract")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        var base = StoreTest.aci("example.com/base", files: ["inspect": "helper"])
        base.hardlink("rootfs/inspect-link", to: "rootfs/inspect")
        _ = try StoreTest.importTar(base, into: store, dir: dir, name: "base")
        let top = try StoreTest.importTar(StoreTest.aci("example.com/top", files: ["x": "1"], deps: [dep("example.com/base")]), into: store, dir: dir, name: "top")
        try store.renderTo(key: top, dir: "\(dir)/render", rootfsOnly: true, overwrite: false)
        #expect(StoreTest.read("\(dir)/render/inspect") == "helper")
        #expect(StoreTest.read("\(dir)/render/inspect-link") == "helper")
        #expect(throws: RktError.self) { try store.renderTo(key: top, dir: "\(dir)/render", rootfsOnly: true, overwrite: false) }
        try store.renderTo(key: top, dir: "\(dir)/render", rootfsOnly: false, overwrite: true)
        #expect(StoreTest.read("\(dir)/render/rootfs/inspect") == "helper")
        #expect(StoreTest.exists("\(dir)/render/manifest"))
        try store.extract(key: top, to: "\(dir)/extract", rootfsOnly: true, overwrite: false)
        #expect(StoreTest.read("\(dir)/extract/x") == "1")
        #expect(!StoreTest.exists("\(dir)/extract/inspect"))
    }

    @Test("image gc removes unreferenced trees and images unused past the grace period")
    func gc() throws {
        let dir = try StoreTest.tempDir("gc")
        defer { StoreTest.cleanup(dir) }
        let store = try ImageStore(dataDir: "\(dir)/data")
        let a = try StoreTest.importTar(StoreTest.aci("example.com/a", files: ["a": "a"]), into: store, dir: dir, name: "a")
        let b = try StoreTest.importTar(StoreTest.aci("example.com/b", files: ["b": "b"]), into: store, dir: dir, name: "b")
        let trees = TreeStore(store: store)
        let ta = try trees.render(key: a)
        let tb = try trees.render(key: b)
        let kept = store.imageGC(gracePeriod: .seconds(3600), referencedTrees: [ta])
        #expect(kept.removedTrees == [tb])
        #expect(kept.removedImages.isEmpty)
        #expect(try trees.allIDs() == [ta])
        let all = store.imageGC(gracePeriod: .zero, referencedTrees: [])
        #expect(all.errors.isEmpty)
        #expect(Set(all.removedImages) == [a, b])
        #expect(try trees.allIDs().isEmpty)
        #expect(try store.images().isEmpty)
    }
}
