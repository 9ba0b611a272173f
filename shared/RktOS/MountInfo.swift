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
    public static func parse(_ text: String) -> [MountInfo] {
        text.split(separator: "\n").compactMap { parseLine(Substring($0)) }
    }

    static func parseLine(_ line: Substring) -> MountInfo? {
        let f = line.split(separator: " ", omittingEmptySubsequences: true)
        guard f.count >= 10, let sep = f.firstIndex(of: "-"), sep >= 6, f.count >= sep + 3 else { return nil }
        guard let id = Int(f[0]), let parent = Int(f[1]) else { return nil }
        let dev = f[2].split(separator: ":")
        guard dev.count == 2, let major = Int(dev[0]), let minor = Int(dev[1]) else { return nil }
        return MountInfo(
            id: id, parentID: parent, major: major, minor: minor,
            root: unescape(f[3]), mountPoint: unescape(f[4]), options: String(f[5]),
            optionalFields: f[6..<sep].map(String.init),
            fsType: unescape(f[sep + 1]), source: unescape(f[sep + 2]),
            superOptions: sep + 3 < f.count ? String(f[sep + 3]) : "")
    }

    /// Decodes the kernel's `\ooo` escapes for space, tab, newline and backslash.
    static func unescape(_ s: Substring) -> String {
        guard s.contains("\\") else { return String(s) }
        var out: [UInt8] = []
        let b = Array(s.utf8)
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
        let selected = mounts.enumerated().filter { PathUtil.isWithin($0.element.mountPoint, root: root) }
        return selected.sorted { a, b in
            let da = depth(a.element.mountPoint), db = depth(b.element.mountPoint)
            if da != db { return da > db }
            return a.offset > b.offset
        }.map(\.element)
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
