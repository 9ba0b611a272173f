import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Archives that must not get into the store, or must not get out of their directory when
/// rendered: bad input never leaves anything half-written (docs/hacking.md).
@Suite("Hostile and broken images")
struct ImagesHostileTests {
    static let manifest = TestImages.emptyManifest().serialized

    /// Regular files below `dir` (recursively); 0 when it does not exist.
    func fileCount(_ dir: String) -> Int {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return 0 }
        var n = 0
        while let p = e.nextObject() as? String {
            var st = stat()
            if lstat(dir + "/" + p, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { n += 1 }
        }
        return n
    }

    func expectStoreEmpty(_ env: RktTestEnv, sourceLocation: SourceLocation = #_sourceLocation) {
        let list = env.rkt(["image", "list", "--no-legend"])
        #expect(list.exit == 0 && list.stdout.isEmpty, "store not empty: \(list)", sourceLocation: sourceLocation)
        for sub in ["blob", "tmp", "tree"] {
            let n = fileCount(env.dataDir + "/cas/" + sub)
            #expect(n == 0, "\(n) files left in cas/\(sub)", sourceLocation: sourceLocation)
        }
    }

    @Test("archives without a valid manifest are refused by fetch and leave the store empty",
          arguments: ["no-manifest", "bad-json", "bad-name", "not-a-tar", "truncated-gzip"])
    func refusedAtFetch(_ kind: String) throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let path = env.tmpDir + "/\(kind).aci"
        var t = TarWriter()
        switch kind {
        case "no-manifest":
            t.dir("rootfs")
            t.file("rootfs/hello", "hi")
            try t.write(to: path)
        case "bad-json":
            t.file("manifest", "{\"acKind\": \"ImageManifest\", ")
            t.dir("rootfs")
            try t.write(to: path)
        case "bad-name":
            t.file("manifest", Self.manifest.replacingOccurrences(of: "coreos.com/rkt-empty", with: "Not A Valid Name!"))
            t.dir("rootfs")
            try t.write(to: path)
        case "not-a-tar":
            try Data("this is not an image\n".utf8).write(to: URL(fileURLWithPath: path))
        default:
            let gz = try TestImages.inspect(compression: .gzip) { $0.name = "example.com/truncated" }
            let d = try Data(contentsOf: URL(fileURLWithPath: gz))
            try d.prefix(d.count / 2).write(to: URL(fileURLWithPath: path))
        }
        let r = env.rkt(["fetch", path])
        #expect(r.exit == 254, "fetch of \(kind) should fail: \(r)")
        #expect(r.stdout.firstMatch(of: /sha512-/) == nil)
        expectStoreEmpty(env)
    }

    @Test("entries escaping the image (.., absolute, through symlinks, hard links) never land outside",
          arguments: ["dotdot", "absolute", "symlink-dir", "hardlink"])
    func escapesContained(_ kind: String) throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        // The host-side victim lives in the test's own dir: nothing outside it is ever at risk.
        let victimDir = env.tmpDir + "/victim"
        try FileManager.default.createDirectory(atPath: victimDir, withIntermediateDirectories: true)
        let victimFile = victimDir + "/precious"
        try "precious".write(toFile: victimFile, atomically: false, encoding: .utf8)
        // Enough ../ to reach / from anywhere below the data dir (ustar names stop at 100 bytes).
        let up = String(repeating: "../", count: 15)
        let victimRel = String(victimDir.dropFirst())

        var t = TarWriter()
        t.file("manifest", Self.manifest)
        t.dir("rootfs")
        switch kind {
        case "dotdot": t.file("rootfs/" + up + victimRel + "/dotdot", "pwned")
        case "absolute": t.file(victimDir + "/absolute", "pwned")
        case "symlink-dir":
            t.symlink("rootfs/evil", to: victimDir)
            t.file("rootfs/evil/symlinked", "pwned")
        default:
            t.hardlink("rootfs/hl", to: up + victimRel + "/precious")
            t.file("rootfs/hl", "pwned")
        }
        let path = env.tmpDir + "/\(kind).aci"
        try t.write(to: path)

        let fetch = env.rkt(["fetch", path])
        if fetch.exit == 0, let id = fetch.stdout.firstMatch(of: /sha512-[0-9a-f]+/).map({ String($0.output) }) {
            // Accepted into the store (rkt checks paths when it extracts): every way of
            // unpacking it must refuse or stay inside its target.
            let out = env.tmpDir + "/out"
            for cmd in [["image", "extract", "--overwrite", id, out], ["image", "render", "--overwrite", id, out + "-r"]] {
                let r = env.rkt(cmd)
                #expect(r.exit == 254, "\(cmd.prefix(2).joined(separator: " ")) of a \(kind) image should fail: \(r)")
            }
        } else {
            #expect(fetch.exit == 254, "\(fetch)")
            expectStoreEmpty(env)
        }
        let left = (try? FileManager.default.contentsOfDirectory(atPath: victimDir)) ?? []
        #expect(left == ["precious"], "files written outside the image: \(left)")
        #expect((try? String(contentsOfFile: victimFile, encoding: .utf8)) == "precious")
    }
}
