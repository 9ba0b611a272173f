import Glibc
import RktOS
import RktTestSupport
import Testing

@Suite("FileIO and FileSystem")
struct FileIOTests {
    @Test("atomic write replaces content, applies the mode and leaves no temp file")
    func atomicWrite() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        let p = t.sub("pid")
        try FileIO.writeFileAtomic(p, "1\n")
        try FileIO.writeFileAtomic(p, "4242\n", mode: 0o600)
        #expect(try FileIO.readInt(p) == 4242)
        #expect(try FileSystem.stat(p).permissions == 0o600)
        #expect(try FileSystem.listDirectory(t.path) == ["pid"])
    }

    @Test("linkOrCopy links on one filesystem, replaces an existing name, and copies across filesystems")
    func linkOrCopy() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        let src = t.sub("manifest")
        try FileIO.writeFile(src, "{}\n", mode: 0o644)
        try FileSystem.linkOrCopy(from: src, to: t.sub("link"))
        #expect(try FileSystem.stat(t.sub("link")).ino == FileSystem.stat(src).ino)
        try FileIO.writeFile(t.sub("old"), "stale", mode: 0o600)
        try FileSystem.linkOrCopy(from: src, to: t.sub("old"))
        #expect(try FileSystem.stat(t.sub("old")).ino == FileSystem.stat(src).ino)
        #expect(try FileIO.readString(t.sub("old")) == "{}\n")
        // /dev/shm is a tmpfs: link(2) fails with EXDEV there, so the bytes and mode are copied.
        let other = "/dev/shm/rkt-linkorcopy-\(getpid())"
        defer { _ = unlink(other) }
        try FileSystem.linkOrCopy(from: src, to: other)
        #expect(try FileSystem.stat(other).ino != FileSystem.stat(src).ino)
        #expect(try FileIO.readString(other) == "{}\n" && FileSystem.stat(other).permissions == 0o644)
    }

    @Test("fds are close-on-exec by default and the flag can be cleared")
    func cloexec() throws {
        let fd = try FileIO.open("/", O_RDONLY | O_DIRECTORY)
        defer { FileIO.close(fd) }
        #expect(try FileIO.isCloseOnExec(fd))
        try FileIO.clearCloseOnExec(fd)
        #expect(try !FileIO.isCloseOnExec(fd))
    }

    @Test("mkdirAll creates parents and is idempotent; it fails on a file in the way")
    func mkdirAll() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        try FileSystem.mkdirAll(t.sub("a/b/c"))
        try FileSystem.mkdirAll(t.sub("a/b/c"))
        #expect(FileSystem.isDirectory(t.sub("a/b/c")))
        try FileIO.writeFile(t.sub("f"), "x")
        #expect(throws: (any Error).self) { try FileSystem.mkdirAll(t.sub("f/g")) }
    }

    @Test("removeTree removes nested content without following symlinks")
    func removeTreeNoFollow() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        let outside = try TempDir("rktos-outside")
        defer { outside.cleanup() }
        try FileIO.writeFile(outside.sub("keep"), "precious")
        try FileSystem.mkdirAll(t.sub("tree/a/b"))
        try FileIO.writeFile(t.sub("tree/a/b/f"), "x")
        try FileSystem.symlink(target: outside.path, at: t.sub("tree/a/link"))
        try FileSystem.removeTree(t.sub("tree"))
        #expect(!FileSystem.exists(t.sub("tree")))
        #expect(try FileIO.readString(outside.sub("keep")) == "precious")
        try FileSystem.removeTree(t.sub("missing"))
    }

    @Test("removeTree(at:) removes an entry of an open directory: a tree, a file, a symlink itself, nothing")
    func removeTreeAt() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        let outside = try TempDir("rktos-outside")
        defer { outside.cleanup() }
        try FileIO.writeFile(outside.sub("keep"), "precious")
        try FileSystem.mkdirAll(t.sub("root/dir/sub"))
        try FileIO.writeFile(t.sub("root/dir/sub/f"), "x")
        try FileSystem.symlink(target: outside.path, at: t.sub("root/dir/out"))
        try FileSystem.symlink(target: outside.path, at: t.sub("root/link"))
        try FileIO.writeFile(t.sub("root/file"), "y")
        let fd = try FileIO.open(t.sub("root"), O_RDONLY | O_DIRECTORY)
        defer { FileIO.close(fd) }
        for name in ["dir", "link", "file", "missing"] {
            try FileSystem.removeTree(at: fd, name, what: "root/" + name)
        }
        #expect(try FileSystem.listDirectory(fd: fd, what: "root") == [])
        #expect(try FileSystem.listDirectory(outside.path) == ["keep"])
        #expect(try FileIO.readString(outside.sub("keep")) == "precious")
    }

    @Test("removeTree refuses to descend into a mount point, even a same-device bind mount")
    func removeTreeStopsAtMounts() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        let (refused, kept, removed) = try inPrivateMountNamespace {
            try FileSystem.mkdirAll(t.sub("src"))
            try FileIO.writeFile(t.sub("src/data"), "host data")
            try FileSystem.mkdirAll(t.sub("pod/vol"))
            try Mounts.bind(t.sub("src"), t.sub("pod/vol"))
            let refused = (try? FileSystem.removeTree(t.sub("pod"))) == nil
            let kept = try FileIO.readString(t.sub("src/data"))
            try Mounts.unmountAll(under: t.sub("pod"))
            try FileSystem.removeTree(t.sub("pod"))
            return (refused, kept, !FileSystem.exists(t.sub("pod")))
        }
        #expect(refused)
        #expect(kept == "host data")
        #expect(removed)
    }

    @Test("random bytes come from getrandom")
    func random() throws {
        let a = try FileIO.randomBytes(32), b = try FileIO.randomBytes(32)
        #expect(a.count == 32 && a != b)
    }
}
