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

    @Test("a regular-file lock refuses a directory")
    func notRegular() throws {
        let t = try TempDir()
        defer { t.cleanup() }
        #expect(throws: (any Error).self) { try FileLock(path: t.path, kind: .regularFile) }
    }
}
