import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The image commands against rkt 1.30's documented behaviour (rkt-functional-tests.md §1.6, §2.8):
/// fetch prints `sha512-<32 hex>`, the ID covers the uncompressed tar, export gives those bytes
/// back, bad archives leave nothing behind, and `image rm`/`image gc` report and remove.
@Suite("Image commands")
struct ImageTests {
    static var shortID: Regex<Substring> { /sha512-[0-9a-f]{32}\b/ }
    static var fullID: Regex<Substring> { /sha512-[0-9a-f]{64}\b/ }

    /// `fetch` (which for a file needs `--insecure-options=image`, set by the env) → the short ID.
    func fetch(_ env: RktTestEnv, _ aci: String, _ extra: [String] = []) throws -> String {
        let r = env.rkt(["fetch"] + extra + [aci])
        #expect(r.exit == 0, "fetch \(aci): \(r)")
        guard let m = r.stdout.firstMatch(of: Self.shortID) else {
            throw HarnessError("fetch printed no image ID: \(r)")
        }
        return String(m.output)
    }

    func imageLines(_ env: RktTestEnv) -> [String] {
        let r = env.rkt(["image", "list", "--no-legend", "--full"])
        #expect(r.exit == 0, "image list: \(r)")
        return r.stdout.split(whereSeparator: \.isNewline).map(String.init)
    }

    @Test("every compression of one image gives the same ID and one store entry")
    func compressionsShareID() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        var ids: Set<String> = []
        for c in ACICompression.allCases {
            let aci = try TestImages.inspect(compression: c) { $0.name = "example.com/compression-test" }
            ids.insert(try fetch(env, aci))
        }
        #expect(ids.count == 1, "different IDs: \(ids)")
        #expect(imageLines(env).count == 1)
    }

    @Test("the image ID is the sha512 of the uncompressed ACI")
    func idIsSHA512() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let aci = try TestImages.inspect { $0.name = "example.com/id-test" }
        let sum = try mustRun("/usr/bin/sha512sum", [aci]).stdout.prefix(64)
        let r = env.rkt(["fetch", "--full", try TestImages.inspect(compression: .gzip) { $0.name = "example.com/id-test" }])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.firstMatch(of: Self.fullID).map { String($0.output) } == "sha512-\(sum)")
    }

    @Test("export gives back the imported bytes, and fetching the export gives the same ID")
    func exportRoundTrip() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let plain = try TestImages.inspect { $0.name = "example.com/export-test" }
        let gz = try TestImages.inspect(compression: .gzip) { $0.name = "example.com/export-test" }
        let id = try fetch(env, gz)
        let out = env.tmpDir + "/exported.aci"
        for ref in [id, "example.com/export-test"] {
            let r = env.rkt(["image", "export", "--overwrite", ref, out])
            #expect(r.exit == 0, "image export \(ref): \(r)")
            #expect(FileManager.default.contentsEqual(atPath: out, andPath: plain), "export of \(ref) differs from the uncompressed ACI")
        }
        let other = try RktTestEnv()
        defer { other.cleanup() }
        #expect(try fetch(other, out) == id)
        let missing = env.rkt(["image", "export", "sha512-0000000000000000", env.tmpDir + "/none.aci"])
        #expect(missing.exit == 254)
        #expect(!FileManager.default.fileExists(atPath: env.tmpDir + "/none.aci"))
    }

    @Test("four concurrent fetches of one image store it once")
    func concurrentFetches() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let aci = try TestImages.inspect { $0.name = "example.com/concurrent-fetch" }
        let procs = try (0..<4).map { _ in try env.spawn(["fetch", aci]) }
        let results = procs.map { $0.wait(timeout: 120) }
        var ids: Set<String> = []
        for r in results {
            #expect(r.exit == 0, "\(r)")
            if let m = r.stdout.firstMatch(of: Self.shortID) { ids.insert(String(m.output)) }
        }
        #expect(ids.count == 1, "IDs: \(ids)")
        #expect(imageLines(env).count == 1)
    }

    @Test("image rm by ID, by name and by both at once removes one image each time")
    func imageRm() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let aci = try TestImages.inspect { $0.name = "example.com/rm-test" }
        for refs in [{ (id: String) in [id] }, { _ in ["example.com/rm-test"] }, { id in ["example.com/rm-test", id] }] {
            let id = try fetch(env, aci)
            let r = env.rkt(["image", "rm"] + refs(id))
            #expect(r.exit == 0, "\(r)")
            #expect(r.output.contains("successfully removed aci for image: \"\(id)"), "\(r)")
            #expect(r.output.contains("rm: 1 image(s) successfully removed"), "\(r)")
            #expect(imageLines(env).isEmpty)
        }
        let unknown = env.rkt(["image", "rm", "sha512-0123456789abcdef0123"])
        #expect(unknown.exit == 254, "\(unknown)")
    }

    @Test("image cat-manifest by name and by ID prints the manifest; unknown images fail")
    func catManifest() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        var m = TestImages.inspectManifest()
        m.name = "example.com/cat-manifest-test"
        let aci = try TestImages.build(manifest: m, rootfs: ImageCache.shared.inspectRootfs())
        let id = try fetch(env, aci)
        for ref in [id, m.name] {
            let r = env.rkt(["image", "cat-manifest", "--pretty-print=false", ref])
            #expect(r.exit == 0, "\(r)")
            #expect(r.stdout.contains("\"name\":\"example.com/cat-manifest-test\""), "\(r)")
        }
        for bad in ["sha512-not-existed", "some~random~aci~name"] {
            #expect(env.rkt(["image", "cat-manifest", bad]).exit == 254)
        }
    }

    @Test("image extract and render give the image's files; render merges dependencies")
    func extractAndRender() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let inspectID = try fetch(env, try TestImages.inspect())
        let dependent = try TestImages.empty {
            $0.name = "coreos.com/rkt-image-render-test"
            $0.dependencies = [("coreos.com/rkt-inspect", [("version", "1.30.0"), ("os", "linux"), ("arch", "amd64")])]
        }
        let dependentID = try fetch(env, dependent)
        let helper = try TestImages.inspectBinary()
        for (cmd, ref) in [("extract", inspectID), ("extract", "coreos.com/rkt-inspect"), ("render", dependentID),
                           ("render", "coreos.com/rkt-image-render-test")] {
            let out = env.tmpDir + "/\(cmd)-\(fnv1a(ref))"
            let r = env.rkt(["image", cmd, "--rootfs-only", "--overwrite", ref, out])
            #expect(r.exit == 0, "image \(cmd) \(ref): \(r)")
            #expect(FileManager.default.contentsEqual(atPath: out + "/inspect", andPath: helper), "image \(cmd) \(ref)")
        }
        let full = env.tmpDir + "/full"
        #expect(env.rkt(["image", "extract", inspectID, full]).exit == 0)
        #expect(FileManager.default.fileExists(atPath: full + "/manifest"))
        #expect(FileManager.default.fileExists(atPath: full + "/rootfs/dir1/file"))
        for cmd in ["extract", "render"] {
            let r = env.rkt(["image", cmd, "sha512-0000000000000000", env.tmpDir + "/none-\(cmd)"])
            #expect(r.exit == 254, "\(r)")
        }
    }

    @Test("image gc with a zero grace period removes unused images; the default keeps fresh ones")
    func imageGCGracePeriod() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        _ = try fetch(env, try TestImages.inspect { $0.name = "example.com/gc-test" })
        let keep = env.rkt(["image", "gc"])
        #expect(keep.exit == 0, "\(keep)")
        #expect(imageLines(env).count == 1)
        let gc = env.rkt(["image", "gc", "--grace-period=0s"])
        #expect(gc.exit == 0, "\(gc)")
        #expect(imageLines(env).isEmpty)
    }

    @Test("image gc keeps the tree store of an existing pod and removes it after the pod is gone")
    func imageGCTreeStore() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let aci = try TestImages.inspect { $0.setExec("/inspect --print-msg=HelloTree") }
        let r = env.run([aci])
        #expect(r.exit == 0, "\(r)")
        let tree = env.dataDir + "/cas/tree"
        let before = (try? FileManager.default.contentsOfDirectory(atPath: tree)) ?? []
        #expect(!before.isEmpty, "nothing rendered in \(tree)")
        #expect(env.rkt(["image", "gc"]).exit == 0)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: tree)) ?? []).count == before.count)
        #expect(env.rkt(["gc", "--grace-period=0s"]).exit == 0)
        #expect(env.rkt(["image", "gc"]).exit == 0)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: tree)) ?? []).isEmpty)
    }
}
