import Glibc
import RktCommon
import RktOS
import Testing

@Suite("FileLock")
struct FileLockTests {
    @Test("an exclusive lock excludes other open file descriptions until released")
    func exclusive() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        let a = try FileLock.exclusiveLock(t.path, .directory)
        #expect(try FileLock.tryExclusiveLock(t.path, .directory) == nil)
        #expect(try FileLock.trySharedLock(t.path, .directory) == nil)
        try a.unlock()
        let b = try FileLock.tryExclusiveLock(t.path, .directory)
        #expect(b != nil)
        b?.close()
        a.close()
    }

    @Test("shared locks coexist and block an exclusive one")
    func shared() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        try FileIO.writeFile(t.sub("pod.lck"), "")
        let a = try FileLock.sharedLock(t.sub("pod.lck"), .regularFile)
        let b = try FileLock.trySharedLock(t.sub("pod.lck"), .regularFile)
        #expect(b != nil)
        #expect(try FileLock.tryExclusiveLock(t.sub("pod.lck"), .regularFile) == nil)
        a.close()
        b?.close()
        #expect(try FileLock.tryExclusiveLock(t.sub("pod.lck"), .regularFile) != nil)
    }

    @Test("a key file is created 0660 and locked; shared key locks coexist, an exclusive one waits for none")
    func keyFile() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        let key = t.sub("sha512-abc")
        let a = try FileLock.keyFile(key, exclusive: false)
        let mask = umask(0)
        umask(mask)
        #expect(try FileSystem.stat(key).permissions & 0o777 == 0o660 & ~mask)
        let b = try FileLock.keyFile(key, exclusive: false)
        #expect(try FileLock.tryExclusiveLock(key, .regularFile) == nil)
        a.close()
        b.close()
        let c = try FileLock.keyFile(key, exclusive: true)
        #expect(try FileLock.trySharedLock(key, .regularFile) == nil)
        c.close()
    }

    @Test("followSymlinks: false refuses a symlink to a lockable file")
    func noFollow() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        try FileIO.writeFile(t.sub("target"), "")
        try FileSystem.symlink(target: t.sub("target"), at: t.sub("link"))
        #expect(throws: RktError.self) { try FileLock(path: t.sub("link"), kind: .regularFile, followSymlinks: false) }
        let followed = try FileLock(path: t.sub("link"), kind: .regularFile)
        #expect(try followed.tryExclusive())
        followed.close()
    }

    @Test("a regular-file lock refuses a directory")
    func notRegular() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        #expect(throws: (any Error).self) { try FileLock(path: t.path, kind: .regularFile) }
    }
}
