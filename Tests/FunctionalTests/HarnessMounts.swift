import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The whole of a /proc file. Foundation's `String(contentsOfFile:)` stops after the first 4 KiB
/// of a file whose size reads as 0, which silently cut `mountinfo` short on a busy machine.
func readProcFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n < 0 { return nil }
        if n == 0 { break }
        bytes += buf[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Mount points of this process's mount namespace at or below `path`, deepest first (the order
/// they must be unmounted in).
func mountsUnder(_ path: String) -> [String] {
    let prefix = path.hasSuffix("/") ? String(path.dropLast()) : path
    guard let info = readProcFile("/proc/self/mountinfo") else { return [] }
    var out: [String] = []
    for line in info.split(separator: "\n") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count > 4 else { continue }
        let mp = unescapeMountinfo(String(fields[4]))
        if mp == prefix || mp.hasPrefix(prefix + "/") { out.append(mp) }
    }
    // Deepest first; for the same path the later (upper) mount first.
    return out.enumerated()
        .sorted { a, b in
            let (da, db) = (a.element.split(separator: "/").count, b.element.split(separator: "/").count)
            return da != db ? da > db : a.offset > b.offset
        }
        .map(\.element)
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
func unescapeMountinfo(_ s: String) -> String {
    guard s.contains("\\") else { return s }
    var bytes: [UInt8] = []
    let u = Array(s.utf8)
    var i = 0
    while i < u.count {
        if u[i] == UInt8(ascii: "\\"), i + 3 < u.count {
            let oct = u[(i + 1)...(i + 3)]
            if let v = UInt8(String(decoding: oct, as: UTF8.self), radix: 8) {
                bytes.append(v)
                i += 4
                continue
            }
        }
        bytes.append(u[i])
        i += 1
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Unmounts everything below `path` (lazily when busy). Returns what it found mounted.
@discardableResult
func unmountAll(under path: String) -> [String] {
    let found = mountsUnder(path)
    for mp in found where umount2(mp, 0) != 0 {
        _ = umount2(mp, Int32(MNT_DETACH))
    }
    // A detached parent can reveal nothing new, but a second pass catches stacked mounts.
    for mp in mountsUnder(path) { _ = umount2(mp, Int32(MNT_DETACH)) }
    return found
}

/// Records a test failure for every mount left at or below `path`.
func expectNoMountsUnder(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let left = mountsUnder(path)
    #expect(left.isEmpty, "mounts left under \(path): \(left)", sourceLocation: sourceLocation)
}
