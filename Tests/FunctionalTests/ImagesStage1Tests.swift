import Foundation
import Testing

/// The two stage1 images `make` assembles (scripts/build-stage1-aci.sh): valid ACIs carrying the
/// manifest, entrypoints and files the stage1 interface requires (docs/stage1-interface.md).
@Suite("Built stage1 images")
struct ImagesStage1Tests {
    struct Expectation: Sendable, CustomStringConvertible {
        var aci: String
        var name: String
        var binary: String
        var annotations: [String: String]
        var description: String { name }
    }

    static let images: [Expectation] = [
        Expectation(
            aci: RktBuild.stage1FlyACI, name: "coreos.com/rkt/stage1-fly", binary: "rkt-stage1-fly",
            annotations: ["run": "/run", "enter": "/enter", "gc": "/gc", "stop": "/stop", "interface-version": "5"]),
        Expectation(
            aci: RktBuild.stage1ACI, name: "coreos.com/rkt/stage1-swift", binary: "rkt-stage1",
            annotations: ["run": "/init", "enter": "/enter", "gc": "/gc", "stop": "/stop", "attach": "/attach",
                          "interface-version": "6"]),
    ]

    func listing(_ aci: String) throws -> [String] {
        try mustRun("/bin/tar", ["-tvf", aci]).stdout.split(separator: "\n").map(String.init)
    }

    @Test("passes actool validate and names the stage1 with rkt's version and os/arch labels", arguments: images)
    func manifest(_ e: Expectation) throws {
        try RktBuild.requireBinaries()
        let v = try runCommand("/usr/bin/actool", ["validate", e.aci])
        #expect(v.exit == 0, "\(v)")
        let m = try mustRun("/usr/bin/actool", ["cat-manifest", e.aci]).stdout
        let json = m.replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "\n", with: "")
        #expect(json.contains("\"name\":\"\(e.name)\""), "\(m)")
        #expect(json.contains("{\"name\":\"os\",\"value\":\"linux\"}"))
        #expect(json.contains("{\"name\":\"arch\",\"value\":\"amd64\"}"))
        let version = try mustRun(RktBuild.rkt, ["version"]).stdout
        if let line = version.split(separator: "\n").first(where: { $0.hasPrefix("rkt Version: ") }) {
            let ver = line.dropFirst("rkt Version: ".count)
            #expect(json.contains("{\"name\":\"version\",\"value\":\"\(ver)\"}"), "\(m)")
        }
        for (k, val) in e.annotations {
            #expect(json.contains("{\"name\":\"coreos.com/rkt/stage1/\(k)\",\"value\":\"\(val)\"}"), "missing \(k) in \(m)")
        }
        #expect(!json.contains("\"app\":"), "a stage1 image has no app section")
    }

    @Test("the rootfs holds the binary, one symlink per entrypoint, its libraries and the pod dirs", arguments: images)
    func rootfs(_ e: Expectation) throws {
        try RktBuild.requireBinaries()
        let lines = try listing(e.aci)
        func has(_ suffix: String) -> Bool { lines.contains { $0.hasSuffix(" " + suffix) || $0.contains(" " + suffix + " -> ") } }
        #expect(has("rootfs/\(e.binary)"))
        for (k, path) in e.annotations where k != "interface-version" {
            #expect(lines.contains { $0.hasSuffix("rootfs\(path) -> \(e.binary)") }, "no entrypoint symlink for \(path)")
        }
        for d in ["rootfs/etc/", "rootfs/opt/stage2/", "rootfs/rkt/status/", "rootfs/rkt/env/", "rootfs/etc/os-release",
                  "rootfs/etc/hosts-fallback"] {
            #expect(has(d), "missing \(d)")
        }
        #expect(lines.contains { $0.hasSuffix("rootfs/etc/mtab -> ../proc/self/mounts") })
        #expect(lines.contains { $0.contains("rootfs/flavor -> ") })
        // A dynamically linked stage1 binary (debug builds) brings its loader and libraries; the
        // release binaries are static PIE and need none.
        let dynamic = try Self.hasELFInterpreter(RktBuild.binDir + "/" + e.binary)
        let loader = lines.contains { $0.contains("rootfs/lib64/ld-linux") || $0.contains("rootfs/lib/ld-linux") }
        let libc = lines.contains { $0.contains("/libc.so.6") }
        #expect(loader == dynamic && libc == dynamic, "dynamic=\(dynamic) loader=\(loader) libc=\(libc)")
        // Owned by root, like `actool build --owner-root`.
        #expect(lines.allSatisfy { $0.contains(" 0/0 ") }, "files not owned by 0/0")
    }

    /// Whether the ELF executable at `path` names a program interpreter (PT_INTERP): a dynamically
    /// linked binary does, a static (PIE) one does not.
    static func hasELFInterpreter(_ path: String) throws -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { throw HarnessError("cannot open \(path)") }
        defer { try? h.close() }
        let elf = [UInt8](h.readDataToEndOfFile())
        func u(_ off: Int, _ n: Int) -> Int { (0..<n).reduce(0) { $0 | Int(elf[off + $1]) << (8 * $1) } }
        guard elf.count > 64, elf[0..<4] == [0x7f, 0x45, 0x4c, 0x46], elf[4] == 2 else {
            throw HarnessError("\(path) is not a 64-bit ELF file")
        }
        let (phoff, phentsize, phnum) = (u(0x20, 8), u(0x36, 2), u(0x38, 2))
        return (0..<phnum).contains { i in
            let off = phoff + i * phentsize
            return off + 4 <= elf.count && u(off, 4) == 3  // PT_INTERP
        }
    }

    @Test("the full stage1 carries its default seccomp filter compiled, under a header naming what it was compiled from")
    func precompiledSeccomp() throws {
        try RktBuild.requireBinaries()
        let files = try listing(RktBuild.stage1ACI).filter { $0.contains("rootfs/usr/lib/rkt/seccomp/") && $0.hasSuffix(".bpf") }
        #expect(files.count == 1, "\(files)")
        let out = try makeTempDir(prefix: "rkt-s1scmp")
        defer { try? FileManager.default.removeItem(atPath: out) }
        try mustRun("/bin/tar", ["-xf", RktBuild.stage1ACI, "-C", out, "rootfs/usr/lib/rkt/seccomp"])
        let dir = out + "/rootfs/usr/lib/rkt/seccomp"
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        let bytes = try #require(FileManager.default.contents(atPath: dir + "/" + (names.first ?? "")))
        let lines = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false)
        #expect(lines.count == 3)
        #expect(String(decoding: lines[0], as: UTF8.self).hasSuffix(" whitelist kill"))
        let syscalls = String(decoding: lines[1], as: UTF8.self).split(separator: ",")
        #expect(syscalls.contains("execve") && syscalls.contains("read") && !syscalls.contains("kcmp"))
        #expect(syscalls == syscalls.sorted())
        // The program: whole 8-byte instructions, at most BPF_MAXINSNS.
        #expect(lines[2].count > 0 && lines[2].count % 8 == 0 && lines[2].count / 8 <= 4096)
    }

    @Test("the full stage1 carries the CNI plugins and rkt's two default networks")
    func networking() throws {
        try RktBuild.requireBinaries()
        let lines = try listing(RktBuild.stage1ACI)
        for p in ["ptp", "bridge", "host-local"] {
            #expect(lines.contains { $0.hasSuffix("rootfs/usr/lib/rkt/plugins/net/\(p)") }, "missing plugin \(p)")
        }
        let out = try makeTempDir(prefix: "rkt-s1net")
        defer { try? FileManager.default.removeItem(atPath: out) }
        try mustRun("/bin/tar", ["-xf", RktBuild.stage1ACI, "-C", out, "rootfs/etc/rkt/net.d"])
        let def = try String(contentsOfFile: out + "/rootfs/etc/rkt/net.d/99-default.conf", encoding: .utf8)
        #expect(def.contains("\"name\": \"default\"") && def.contains("172.16.28.0/24") && def.contains("\"ipMasq\": true"))
        let restricted = try String(contentsOfFile: out + "/rootfs/etc/rkt/net.d/99-default-restricted.conf", encoding: .utf8)
        #expect(restricted.contains("\"name\": \"default-restricted\"") && restricted.contains("172.31.0.0/16"))
    }
}
