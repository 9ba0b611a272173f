import Glibc
import RktOS
import Testing

/// rkt's TestMountSymlink table: targets are resolved inside the rootfs.
@Suite("SecurePath")
struct SecurePathTests {
    static let cases: [(String, String)] = [
        ("/dir1/link_abs_dir2/foo", "/dir2/foo"),
        ("/dir1/link_rel_dir2/bar", "/dir2/bar"),
        ("/dir1/../dir1/.//link_rel_dir2/foo", "/dir2/foo"),
        ("/dir1/../../../foo", "/foo"),
        ("/dir1/link_abs_dotdot_dir2/foo", "/dir2/foo"),
        ("/dir1/../../../newdir/foo", "/newdir/foo"),
        ("/dir1/link_rel_dir2/newdir/foo", "/dir2/newdir/foo"),
        ("/dir1/link_abs_notexists/newdir1/newdir2/foo", "/notexists/newdir1/newdir2/foo"),
        ("/dir1/link_abs_root/newdir1/newdir2/foo", "/newdir1/newdir2/foo"),
        ("../../../foo", "/foo"),
    ]

    @Test("symlinks are followed inside the root and .. never escapes it")
    func resolveTable() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        try FileSystem.mkdirAll(t.sub("dir1"))
        try FileSystem.mkdirAll(t.sub("dir2"))
        try FileSystem.symlink(target: "/dir2", at: t.sub("dir1/link_abs_dir2"))
        try FileSystem.symlink(target: "../dir2", at: t.sub("dir1/link_rel_dir2"))
        try FileSystem.symlink(target: "/../../dir2", at: t.sub("dir1/link_abs_dotdot_dir2"))
        try FileSystem.symlink(target: "/notexists", at: t.sub("dir1/link_abs_notexists"))
        try FileSystem.symlink(target: "/", at: t.sub("dir1/link_abs_root"))
        for (input, expected) in Self.cases {
            #expect(try SecurePath.resolve(root: t.path, path: input) == expected, "\(input)")
        }
    }

    @Test("a symlink loop fails instead of spinning")
    func loop() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        try FileSystem.symlink(target: "/b", at: t.sub("a"))
        try FileSystem.symlink(target: "/a", at: t.sub("b"))
        #expect(throws: (any Error).self) { try SecurePath.resolve(root: t.path, path: "/a/x") }
    }

    @Test("reading /etc/passwd through an absolute symlink stays in the rootfs")
    func readInRoot() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        try FileSystem.mkdirAll(t.sub("real"))
        try FileIO.writeFile(t.sub("real/passwd"), "app:x:1000:1000::/:/bin/sh\n")
        try FileSystem.symlink(target: "/real", at: t.sub("etc"))
        let bytes = try SecurePath.readFile(root: t.path, path: "/etc/passwd")
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("app:x:1000"))
    }
}
