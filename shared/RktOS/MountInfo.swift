import RktCommon

/// One line of `/proc/<pid>/mountinfo` (proc(5)), with octal escapes (`\040`) decoded.
public struct MountInfo: Sendable, Equatable {
    public var id: Int
    public var parentID: Int
    public var major: Int
    public var minor: Int
    /// The root of the mount within its filesystem (for bind mounts, the source subtree).
    public var root: String
    public var mountPoint: String
    public var options: String
    /// Optional fields such as `shared:1`, `master:2`, `propagate_from:3`, `unbindable`.
    public var optionalFields: [String]
    public var fsType: String
    public var source: String
    public var superOptions: String

    public var isShared: Bool { optionalFields.contains { $0.hasPrefix("shared:") } }
    public var isSlave: Bool { optionalFields.contains { $0.hasPrefix("master:") } }
    public var isReadOnly: Bool { options.split(separator: ",").contains("ro") }

    /// Parses mountinfo text; malformed lines are skipped (the kernel never writes them).
    /// Works on the UTF-8 bytes, not Characters: a host with a few hundred mounts has a table of
    /// tens of KB, and stage1 reads it on every read-only remount.
    public static func parse(_ text: String) -> [MountInfo] {
        var text = text
        return text.withUTF8 { all in
            var out: [MountInfo] = []
            var start = 0
            while start < all.count {
                var end = start
                while end < all.count && all[end] != UInt8(ascii: "\n") { end += 1 }
                if let m = parseLine(UnsafeBufferPointer(rebasing: all[start..<end])) { out.append(m) }
                start = end + 1
            }
            return out
        }
    }

    static func parseLine(_ line: UnsafeBufferPointer<UInt8>) -> MountInfo? {
        // Space-separated fields, empty ones dropped.
        var f: [Range<Int>] = []
        f.reserveCapacity(12)
        var i = 0
        while i < line.count {
            if line[i] == UInt8(ascii: " ") { i += 1; continue }
            let s = i
            while i < line.count && line[i] != UInt8(ascii: " ") { i += 1 }
            f.append(s..<i)
        }
        func bytes(_ r: Range<Int>) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: line[r]) }
        func text(_ r: Range<Int>) -> String { String(decoding: bytes(r), as: UTF8.self) }
        guard f.count >= 10,
              let sep = f.firstIndex(where: { $0.count == 1 && line[$0.lowerBound] == UInt8(ascii: "-") }),
              sep >= 6, f.count >= sep + 3 else { return nil }
        guard let id = decimal(bytes(f[0])), let parent = decimal(bytes(f[1])) else { return nil }
        let dev = bytes(f[2])
        guard let colon = dev.firstIndex(of: UInt8(ascii: ":")),
              let major = decimal(UnsafeBufferPointer(rebasing: dev[..<colon])),
              let minor = decimal(UnsafeBufferPointer(rebasing: dev[(colon + 1)...])) else { return nil }
        return MountInfo(
            id: id, parentID: parent, major: major, minor: minor,
            root: unescape(bytes(f[3])), mountPoint: unescape(bytes(f[4])), options: text(f[5]),
            optionalFields: f[6..<sep].map(text),
            fsType: unescape(bytes(f[sep + 1])), source: unescape(bytes(f[sep + 2])),
            superOptions: sep + 3 < f.count ? text(f[sep + 3]) : "")
    }

    /// A non-empty run of ASCII digits (what the kernel writes for ids and device numbers).
    static func decimal(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !b.isEmpty, b.count < 19 else { return nil }
        var v = 0
        for c in b {
            guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return nil }
            v = v * 10 + Int(c - UInt8(ascii: "0"))
        }
        return v
    }

    /// Decodes the kernel's `\ooo` escapes for space, tab, newline and backslash.
    static func unescape(_ b: UnsafeBufferPointer<UInt8>) -> String {
        guard b.contains(UInt8(ascii: "\\")) else { return String(decoding: b, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 3 < b.count {
                let digits = b[(i + 1)...(i + 3)]
                if digits.allSatisfy({ $0 >= 48 && $0 <= 55 }) {
                    let v = digits.reduce(0) { $0 * 8 + Int($1 - 48) }
                    out.append(UInt8(truncatingIfNeeded: v))
                    i += 4
                    continue
                }
            }
            out.append(b[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The mount table of `pid`; by default the calling thread's (`thread-self`), which is the
    /// process's own unless this thread alone unshared its mount namespace.
    public static func read(pid: String = "thread-self") throws -> [MountInfo] {
        let path = "/proc/\(pid)/mountinfo"
        do {
            return parse(try FileIO.readString(path))
        } catch {
            throw RktError("cannot read mount table \(path)", cause: error)
        }
    }

    /// Mounts at `path` or below it, ordered deepest first (children before parents, and later
    /// mounts stacked on the same point before earlier ones) so they can be unmounted in order.
    public static func under(_ path: String, in mounts: [MountInfo]) -> [MountInfo] {
        let root = PathUtil.clean(path)
        let prefix = root == "/" ? "/" : root + "/"
        // The kernel writes clean absolute mount points: byte prefixes suffice, and each depth is
        // counted once rather than in every comparison of the sort.
        let selected = mounts.enumerated().compactMap { i, m -> (offset: Int, depth: Int, mount: MountInfo)? in
            guard m.mountPoint == root || m.mountPoint.utf8.starts(with: prefix.utf8) else { return nil }
            return (i, depth(m.mountPoint), m)
        }
        return selected.sorted { a, b in
            if a.depth != b.depth { return a.depth > b.depth }
            return a.offset > b.offset
        }.map(\.mount)
    }

    /// IDs of the mounts no path reaches: those below a mount that another one was stacked on
    /// (e.g. /sys/fs/cgroup's v1 hierarchies once a cgroup2 is mounted over its tmpfs). A
    /// recursive bind copies them too, but their mount points now resolve into the mount on top.
    public static func shadowed(_ mounts: [MountInfo]) -> Set<Int> {
        let byID = Dictionary(mounts.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        // X is covered when some Y sits on X's own mount point with X as its parent.
        let covered = Set(mounts.compactMap { y in
            byID[y.parentID].flatMap { $0.mountPoint == y.mountPoint ? $0.id : nil }
        })
        var out: Set<Int> = []
        for m in mounts {
            var below: MountInfo?
            var current: MountInfo? = m
            var seen: Set<Int> = []
            while let c = current, seen.insert(c.id).inserted {
                // Reached through its cover (the chain came down from the mount on top): visible.
                let viaCover = below.map { $0.parentID == c.id && $0.mountPoint == c.mountPoint } ?? false
                if covered.contains(c.id) && !viaCover {
                    out.insert(m.id)
                    break
                }
                below = c
                current = byID[c.parentID]
            }
        }
        return out
    }

    static func depth(_ path: String) -> Int {
        path == "/" ? 0 : path.split(separator: "/").count
    }
}
