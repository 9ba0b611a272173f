import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An OCI image layout written by hand (image-spec image-layout.md): blobs by sha256, an
/// `index.json` and `oci-layout`. Tests build their Docker images with it and push them with
/// skopeo, or hand the directory to rkt as `oci-layout:DIR:TAG`.
struct OCILayoutBuilder {
    let dir: String
    private(set) var index: [String] = []

    struct Descriptor {
        var mediaType: String
        var digest: String
        var size: Int
        var json: String { #"{"mediaType":"\#(mediaType)","digest":"\#(digest)","size":\#(size)}"# }
    }

    init(dir: String) throws {
        self.dir = dir
        try FileManager.default.createDirectory(atPath: dir + "/blobs/sha256", withIntermediateDirectories: true)
        try #"{"imageLayoutVersion":"1.0.0"}"#.write(toFile: dir + "/oci-layout", atomically: true, encoding: .utf8)
    }

    static func sha256(_ path: String) throws -> String {
        let out = try mustRun("/usr/bin/sha256sum", [path]).stdout
        return String(out.prefix(64))
    }

    /// Moves `path` into the blob store and describes it.
    func addBlobFile(_ path: String, mediaType: String) throws -> Descriptor {
        let hex = try Self.sha256(path)
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let dest = dir + "/blobs/sha256/" + hex
        if FileManager.default.fileExists(atPath: dest) { try FileManager.default.removeItem(atPath: path) } else {
            try FileManager.default.moveItem(atPath: path, toPath: dest)
        }
        return Descriptor(mediaType: mediaType, digest: "sha256:" + hex, size: size)
    }

    func addBlob(_ content: String, mediaType: String) throws -> Descriptor {
        let tmp = dir + "/tmp-\(UUID().uuidString)"
        try content.write(toFile: tmp, atomically: false, encoding: .utf8)
        return try addBlobFile(tmp, mediaType: mediaType)
    }

    /// A gzip-compressed layer from a ustar writer.
    func addLayer(_ tar: TarWriter) throws -> Descriptor {
        let tmp = dir + "/tmp-\(UUID().uuidString).tar"
        try tar.write(to: tmp)
        try mustRun("/usr/bin/gzip", ["-n", tmp])
        return try addBlobFile(tmp + ".gz", mediaType: "application/vnd.oci.image.layer.v1.tar+gzip")
    }

    /// A gzip-compressed layer holding the directory tree `root` (as `tar -C root .`).
    func addLayer(directory root: String) throws -> Descriptor {
        let tmp = dir + "/tmp-\(UUID().uuidString).tar.gz"
        try mustRun("/usr/bin/tar", ["--numeric-owner", "-czf", tmp, "-C", root, "."])
        return try addBlobFile(tmp, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip")
    }

    /// Config + manifest for `layers`; returns the manifest descriptor.
    func addImage(layers: [Descriptor], arch: String = "amd64", config: String = "{}") throws -> Descriptor {
        let cfg = #"{"architecture":"\#(arch)","os":"linux","config":\#(config),"rootfs":{"type":"layers","diff_ids":[]}}"#
        let c = try addBlob(cfg, mediaType: "application/vnd.oci.image.config.v1+json")
        let m = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":\#(c.json),"layers":[\#(layers.map(\.json).joined(separator: ","))]}"#
        return try addBlob(m, mediaType: "application/vnd.oci.image.manifest.v1+json")
    }

    /// An image index over per-platform manifests.
    func addIndex(_ manifests: [(Descriptor, String)]) throws -> Descriptor {
        let entries = manifests.map { d, arch in
            String(d.json.dropLast()) + #","platform":{"os":"linux","architecture":"\#(arch)"}}"#
        }
        let body = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\#(entries.joined(separator: ","))]}"#
        return try addBlob(body, mediaType: "application/vnd.oci.image.index.v1+json")
    }

    /// Names `d` as `tag` in index.json.
    mutating func tag(_ d: Descriptor, _ tag: String) throws {
        index.append(String(d.json.dropLast()) + #","annotations":{"org.opencontainers.image.ref.name":"\#(tag)"}}"#)
        let body = #"{"schemaVersion":2,"manifests":[\#(index.joined(separator: ","))]}"#
        try body.write(toFile: dir + "/index.json", atomically: true, encoding: .utf8)
    }

    /// A one-layer image of the busybox rootfs that runs `/bin/echo`.
    static func busybox(in dir: String, tag: String = "latest", config: String = #"{"Cmd":["/bin/echo","default"]}"#) throws -> OCILayoutBuilder {
        var b = try OCILayoutBuilder(dir: dir)
        let layer = try b.addLayer(directory: try ImageCache.shared.busyboxRootfs())
        try b.tag(try b.addImage(layers: [layer], config: config), tag)
        return b
    }
}

@Suite("Local OCI layouts and docker archives as images")
struct DockerImagesTests {
    @Test("oci-layout:DIR:TAG is converted, imported under its tag and runs")
    func ociLayoutRuns() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.stage1 = .fly
        let layout = env.tmpDir + "/layout"
        _ = try OCILayoutBuilder.busybox(in: layout, tag: "v1", config: #"{"Cmd":["/bin/echo","from-oci"],"Env":["GREETING=hello"]}"#)
        let fetch = env.rkt(["fetch", "oci-layout:\(layout):v1"])
        #expect(fetch.exit == 0, "\(fetch)")
        #expect(fetch.stdout.contains("sha512-"))
        let list = env.rkt(["image", "list", "--no-legend"])
        #expect(list.stdout.contains("layout:v1"), "\(list)")
        let run = env.run(["oci-layout:\(layout):v1"])
        #expect(run.exit == 0, "\(run)")
        #expect(run.stdout.contains("from-oci"), "\(run)")
    }

    @Test("an unknown tag in an OCI layout is an error naming the tags there")
    func ociLayoutUnknownTag() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let layout = env.tmpDir + "/layout"
        _ = try OCILayoutBuilder.busybox(in: layout, tag: "v1")
        let r = env.rkt(["fetch", "oci-layout:\(layout):nope"])
        #expect(r.exit == 254)
        #expect(r.stderr.contains("no image tagged \"nope\""), "\(r)")
        #expect(r.stderr.contains("available: v1"), "\(r)")
    }

    @Test("OCI images need --insecure-options=image")
    func ociLayoutNeedsInsecure() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.insecureOptions = nil
        let layout = env.tmpDir + "/layout"
        _ = try OCILayoutBuilder.busybox(in: layout)
        let r = env.rkt(["fetch", "oci-layout:\(layout)"])
        #expect(r.exit == 254)
        #expect(r.stderr.contains("--insecure-options=image"), "\(r)")
    }
}

extension DockerImagesTests {
    @Test("docker-archive:FILE (a docker save tarball) is imported under its RepoTags name and runs")
    func dockerArchiveRuns() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.stage1 = .fly
        let layout = env.tmpDir + "/layout"
        _ = try OCILayoutBuilder.busybox(in: layout, tag: "v2", config: #"{"Cmd":["/bin/echo","from-archive"]}"#)
        let archive = env.tmpDir + "/saved.tar"
        // skopeo writes what `docker save` writes: manifest.json with RepoTags, config, layer tars.
        try mustRun("/usr/bin/skopeo", ["copy", "--quiet", "oci:\(layout):v2", "docker-archive:\(archive):example.com/team/saved:v2"])
        let fetch = env.rkt(["fetch", "docker-archive:\(archive)"])
        #expect(fetch.exit == 0, "\(fetch)")
        let list = env.rkt(["image", "list", "--no-legend"])
        #expect(list.stdout.contains("example.com/team/saved:v2"), "\(list)")
        let run = env.run(["example.com/team/saved:v2"])
        #expect(run.exit == 0, "\(run)")
        #expect(run.stdout.contains("from-archive"), "\(run)")
    }
}
