import Foundation
import Glibc
import RktCommon
import RktOS
import Stage1
import Testing

/// The filters the stage1 image carries compiled (`rkt-stage1 seccomp-export`), and the checks
/// that keep a file from another libseccomp, architecture or syscall list from being loaded.
@Suite("precompiled seccomp filters")
struct SeccompPrecompiledTests {
    func tempDir() throws -> String {
        var t = Array("\(NSTemporaryDirectory())/rkt-scmp.XXXXXX".utf8CString)
        guard mkdtemp(&t) != nil else { throw RktError.errno("mkdtemp", "seccomp test") }
        return String(cString: t)
    }

    @Test("seccomp-export writes the default filter; loading it gives what libseccomp compiles")
    func exportThenLoad() throws {
        let dir = try tempDir()
        defer { try? FileSystem.removeTree(dir) }
        #expect(SeccompExportCommand.main([dir]) == 0)
        let f = SeccompSets.defaultFilter
        #expect(try FileSystem.listDirectory(dir) == [SeccompPrecompiled.fileName(f)])
        let loaded = try #require(SeccompPrecompiled.load(f, dir: dir))
        #expect(loaded == (try SeccompCompiler.compile(f)))
        #expect(try SeccompPrecompiled.program(f, dir: dir) == loaded)
        // An app without seccomp isolators gets exactly this filter.
        let planned = try AppSecurity.plan(isolators: [], uid: 0, disableCapabilities: false, disableSeccomp: false)
        #expect(planned.seccomp == f)
    }

    @Test("the header names libseccomp, the architecture, mode, action and the sorted, unique names")
    func header() throws {
        let a = SeccompFilter(mode: .blacklist, syscalls: ["mount", "kcmp", "mount"], errno: EPERM)
        let text = String(decoding: SeccompPrecompiled.header(a), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3 && lines[2].isEmpty)
        let words = lines[0].split(separator: " ")
        #expect(words.count == 7 && words[0] == "rkt-seccomp-bpf" && words[1] == "1", "\(lines[0])")
        #expect(words[2].hasPrefix("libseccomp=2.") && words[3] == "optimize=2")
        #expect(words[4].hasPrefix("arch=") && UInt32(words[4].dropFirst(5)) != nil)
        #expect(words[5] == "blacklist" && words[6] == "errno=\(EPERM)")
        #expect(lines[1] == "kcmp,mount")
        // Order and duplicates do not matter; mode, action and names do.
        #expect(SeccompPrecompiled.fileName(a) == SeccompPrecompiled.fileName(SeccompFilter(mode: .blacklist, syscalls: ["kcmp", "mount"], errno: EPERM)))
        #expect(SeccompPrecompiled.fileName(a) != SeccompPrecompiled.fileName(SeccompFilter(mode: .blacklist, syscalls: ["kcmp", "mount"])))
        #expect(SeccompPrecompiled.fileName(a) != SeccompPrecompiled.fileName(SeccompFilter(mode: .whitelist, syscalls: ["kcmp", "mount"], errno: EPERM)))
    }

    @Test("a file whose header differs, or whose program is not whole instructions, is not loaded")
    func rejects() throws {
        let dir = try tempDir()
        defer { try? FileSystem.removeTree(dir) }
        let f = SeccompFilter(mode: .blacklist, syscalls: ["kcmp", "mount"], errno: EPERM)
        let path = PathUtil.join(dir, SeccompPrecompiled.fileName(f))
        let good = try SeccompPrecompiled.file(f)
        let head = SeccompPrecompiled.header(f)

        #expect(SeccompPrecompiled.load(f, dir: dir) == nil)  // absent
        try FileIO.writeFile(path, good)
        #expect(SeccompPrecompiled.load(f, dir: dir) == Array(good[head.count...]))

        // Another libseccomp version under the same name (as a stale image would have).
        var otherVersion = good
        let v = Array("libseccomp=".utf8)
        let at = try #require((0...(head.count - v.count)).first { Array(good[$0..<$0 + v.count]) == v })
        otherVersion[at + v.count] = UInt8(ascii: "9")
        try FileIO.writeFile(path, otherVersion)
        #expect(SeccompPrecompiled.load(f, dir: dir) == nil)

        try FileIO.writeFile(path, Array(good.dropLast(3)))  // not a multiple of 8 bytes
        #expect(SeccompPrecompiled.load(f, dir: dir) == nil)
        try FileIO.writeFile(path, head)  // header only
        #expect(SeccompPrecompiled.load(f, dir: dir) == nil)
        // program(dir:) falls back to compiling.
        #expect(try SeccompPrecompiled.program(f, dir: dir) == (try SeccompCompiler.compile(f)))
        #expect(try SeccompPrecompiled.program(f, dir: nil) == (try SeccompCompiler.compile(f)))
    }
}
