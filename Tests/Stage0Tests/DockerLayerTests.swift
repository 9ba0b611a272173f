import Foundation
import RktCommon
import Testing
@testable import Stage0
@testable import Stage0Core

@Suite("Docker layers apply in order with OCI whiteout rules")
struct DockerLayerTests {
    /// Applies `layers` onto `<dir>/rootfs` in a fresh temp dir; the caller removes `dir`.
    static func apply(_ layers: [TestTar], tag: String) throws -> (dir: String, rootfs: String) {
        let dir = try StoreTest.tempDir("docker-layers-\(tag)")
        do { return (dir, try apply(layers, in: dir)) } catch {
            StoreTest.cleanup(dir)
            throw error
        }
    }

    static func apply(_ layers: [TestTar], in dir: String) throws -> String {
        let rootfs = dir + "/rootfs"
        try FileManager.default.createDirectory(atPath: rootfs, withIntermediateDirectories: false)
        let applier = try LayerApplier(rootPath: rootfs)
        for (i, l) in layers.enumerated() {
            let p = "\(dir)/layer\(i).tar"
            try StoreTest.write(l.bytes, to: p)
            try applier.apply(layerPath: p)
        }
        return rootfs
    }

    @Test("a whiteout deletes a lower file or tree; an opaque whiteout empties a lower directory")
    func whiteouts() throws {
        var base = TestTar()
        base.dir("a"); base.file("a/x", "x"); base.file("a/y", "y")
        base.dir("d"); base.file("d/k", "k"); base.dir("d/sub"); base.file("d/sub/deep", "deep")
        base.dir("gone"); base.file("gone/inner", "i")
        base.file("f", "f")
        var top = TestTar()
        top.file("a/.wh.x", "")
        top.file("d/.wh..wh..opq", "")
        top.file("d/new", "new")
        top.file(".wh.gone", "")
        top.file(".wh.f", "")
        top.file("f2", "two")
        let (dir, root) = try Self.apply([base, top], tag: "wh")
        defer { StoreTest.cleanup(dir) }
        #expect(!StoreTest.exists(root + "/a/x"))
        #expect(StoreTest.read(root + "/a/y") == "y")
        #expect(StoreTest.list(root + "/d").sorted() == ["new"])
        #expect(!StoreTest.exists(root + "/gone"))
        #expect(!StoreTest.exists(root + "/f"))
        #expect(StoreTest.read(root + "/f2") == "two")
        #expect(!StoreTest.exists(root + "/a/.wh.x"))
        #expect(!StoreTest.exists(root + "/d/.wh..wh..opq"))
    }

    @Test("a whiteout only hides lower layers: the same layer may re-create the path")
    func whiteoutThenRecreate() throws {
        var base = TestTar()
        base.file("f", "old")
        var top = TestTar()
        top.file("f", "new")
        top.file(".wh.f", "")
        let (dir, root) = try Self.apply([base, top], tag: "recreate")
        defer { StoreTest.cleanup(dir) }
        #expect(StoreTest.read(root + "/f") == "new")
    }

    @Test("an upper file replaces a lower directory, and an upper directory keeps lower content")
    func replaceAndMerge() throws {
        var base = TestTar()
        base.dir("x"); base.file("x/in", "1"); base.dir("m"); base.file("m/lower", "l")
        var top = TestTar()
        top.file("x", "file now"); top.dir("m"); top.file("m/upper", "u")
        let (dir, root) = try Self.apply([base, top], tag: "replace")
        defer { StoreTest.cleanup(dir) }
        #expect(StoreTest.read(root + "/x") == "file now")
        #expect(StoreTest.list(root + "/m").sorted() == ["lower", "upper"])
    }

    @Test("an upper entry under a lower-layer symlink replaces it with a directory, as overlay2 does")
    func lowerSymlinkIsShadowed() throws {
        let dir = try StoreTest.tempDir("docker-symlink")
        defer { StoreTest.cleanup(dir) }
        let host = dir + "/host"
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: false)
        var base = TestTar()
        base.symlink("abs", to: host)                                  // absolute, to a host dir
        base.symlink("rel", to: "../../../../../../../.." + host)      // relative, climbing out
        base.dir("target"); base.file("target/old", "old")
        base.symlink("dirlink", to: "/target")                         // a dir symlink inside
        base.dir("etc"); base.symlink("etc/link", to: "/outside")      // dangling
        base.symlink("wl", to: "target")
        var top = TestTar()
        top.file("abs/pwned", "1")
        top.file("rel/deep/pwned", "2")
        top.file("dirlink/new", "3")
        top.file("etc/link/f", "4")
        top.file("wl/.wh.old", "")
        let root = try Self.apply([base, top], in: dir)
        #expect(StoreTest.list(host).isEmpty)
        #expect(StoreTest.read(root + "/abs/pwned") == "1")
        #expect(StoreTest.read(root + "/rel/deep/pwned") == "2")
        #expect(StoreTest.list(root + "/dirlink") == ["new"])
        #expect(StoreTest.list(root + "/target") == ["old"])
        #expect(StoreTest.read(root + "/etc/link/f") == "4")
        #expect(!StoreTest.exists(root + "/outside"))
        #expect(StoreTest.list(root + "/wl").isEmpty)
        var st = stat()
        #expect(lstat(root + "/dirlink", &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR)
    }

    @Test("a symlink from the same layer resolves inside the root; a dangling one fails, the host untouched")
    func sameLayerSymlink() throws {
        let dir = try StoreTest.tempDir("docker-symlink-same")
        defer { StoreTest.cleanup(dir) }
        let host = dir + "/host"
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: false)
        var t = TestTar()
        t.dir("target")
        t.symlink("in", to: "/target")
        t.file("in/via", "v")
        let root = try Self.apply([t], in: dir)
        #expect(StoreTest.read(root + "/target/via") == "v")

        var bad = TestTar()
        bad.symlink("out", to: host)
        bad.file("out/pwned", "x")
        let dir2 = dir + "/second"
        try FileManager.default.createDirectory(atPath: dir2, withIntermediateDirectories: false)
        #expect {
            _ = try Self.apply([bad], in: dir2)
        } throws: { e in
            (e as? RktError)?.debugChain.contains("out") == true
        }
        #expect(StoreTest.list(host).isEmpty)
    }


    @Test("malformed layers are refused", arguments: [
        ("bare-whiteout", "malformed whiteout"),
        ("dotdot", "path escapes the root"),
        ("dev-file", "\"/dev\" is not a directory"),
        ("whiteout-dir", "whiteout used as a directory"),
    ])
    func malformed(_ name: String, _ fragment: String) throws {
        var t = TestTar()
        switch name {
        case "bare-whiteout": t.file("a/.wh.", "")
        case "dotdot": t.file("../evil", "x")
        case "dev-file": t.file("dev", "not a dir")
        default: t.file("a/.wh.b/c", "")
        }
        let dir = try StoreTest.tempDir("docker-bad-\(name)")
        defer { StoreTest.cleanup(dir) }
        #expect {
            _ = try Self.apply([t], in: dir)
        } throws: { e in
            (e as? RktError)?.debugChain.contains(fragment) == true
        }
        #expect(!StoreTest.exists(dir + "/evil"))
    }

    @Test("classify names: ./ prefixes, opaque markers and AUFS bookkeeping")
    func classify() throws {
        #expect(try LayerApplier.classify("./usr/bin/x") == .file("usr/bin/x"))
        #expect(try LayerApplier.classify("/etc/passwd") == .file("etc/passwd"))
        #expect(try LayerApplier.classify("./") == .ignored)
        #expect(try LayerApplier.classify("etc/.wh..wh..opq") == .opaque("etc"))
        #expect(try LayerApplier.classify(".wh..wh..opq") == .opaque("."))
        #expect(try LayerApplier.classify(".wh..wh.plnk") == .ignored)
        #expect(try LayerApplier.classify("etc/.wh.hosts") == .whiteout("etc/hosts"))
    }
}
