import CShim
import Glibc
import RktCommon

/// The host's cgroup layout: pure v2 (`/sys/fs/cgroup` is cgroup2) or v1/hybrid (one hierarchy
/// per controller, e.g. `/sys/fs/cgroup/memory`). Paths handed around are relative to the
/// hierarchy roots (`machine.slice/machine-rkt\x2d….scope/app`).
public struct CgroupHost: Sendable, Equatable {
    /// Pure cgroup v2 root, or nil on v1/hybrid hosts.
    public var unifiedRoot: String?
    /// v1 hierarchy mount points by controller (`memory`, `cpu`, `pids`, `name=systemd`).
    public var v1Mounts: [String: String]

    public init(unifiedRoot: String?, v1Mounts: [String: String]) {
        self.unifiedRoot = unifiedRoot
        self.v1Mounts = v1Mounts
    }

    /// Controllers whose hierarchy stage1 joins on v1. cpuset is left out on purpose: a new cpuset
    /// cgroup has no cpus/mems until they are copied in, and joining it would fail.
    public static let v1Controllers = ["name=systemd", "memory", "cpu", "cpuacct", "pids"]

    /// Finds the cgroup hierarchies: the usual layout under `/sys/fs/cgroup` when the host has it,
    /// else whatever `/proc/self/mountinfo` says.
    public static func detect() -> CgroupHost {
        if let host = detectUsualLayout() { return host }
        let text = (try? FileIO.readString("/proc/self/mountinfo")) ?? ""
        return parse(mountinfo: text)
    }

    static let cgroupMagic: Int64 = 0x27E0EB
    static let cgroup2Magic: Int64 = 0x6367_7270

    /// The layout systemd (and rkt, which assumed it) uses: `root` is cgroup2, or each v1
    /// hierarchy of `/proc/self/cgroup` is mounted at `root/<its controllers>` (`cpu,cpuacct`,
    /// `systemd` for `name=systemd`). Checked with statfs; nil when any hierarchy is elsewhere.
    /// Reading mountinfo instead costs init and pod-init ~0.4 ms each: by then stage0 has mounted
    /// the pod's overlays, and the kernel escapes their long options byte by byte.
    static func detectUsualLayout(root: String = "/sys/fs/cgroup", procCgroup: String = "/proc/self/cgroup",
                                  fsType: (String) -> Int64? = statfsType) -> CgroupHost? {
        guard let rootType = fsType(root) else { return nil }
        if rootType == cgroup2Magic { return CgroupHost(unifiedRoot: root, v1Mounts: [:]) }
        guard let text = try? FileIO.readString(procCgroup) else { return nil }
        var mounts: [String: String] = [:]
        for line in text.split(separator: "\n") {
            // hierarchy-ID:controller-list:path; ID 0 is the v2 hierarchy of a hybrid host.
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] != "0", !fields[1].isEmpty else { continue }
            let set = fields[1]
            let dir = root + "/" + (set.hasPrefix("name=") ? set.dropFirst(5) : set)
            guard fsType(dir) == cgroupMagic else { return nil }
            for controller in set.split(separator: ",") { mounts[String(controller)] = dir }
        }
        return CgroupHost(unifiedRoot: nil, v1Mounts: mounts)
    }

    static func statfsType(_ path: String) -> Int64? {
        var type: Int64 = 0
        return rkt_statfs_type(path, &type) == 0 ? type : nil
    }

    /// Pure v2 when `/sys/fs/cgroup` itself is a cgroup2 mount; otherwise the v1 hierarchies.
    public static func parse(mountinfo text: String) -> CgroupHost {
        let mounts = MountInfo.parse(text)
        if mounts.contains(where: { $0.mountPoint == "/sys/fs/cgroup" && $0.fsType == "cgroup2" }) {
            return CgroupHost(unifiedRoot: "/sys/fs/cgroup", v1Mounts: [:])
        }
        return CgroupHost(unifiedRoot: nil, v1Mounts: v1Mounts(mounts))
    }

    /// controller → mount point for every `cgroup` (v1) mount in a mountinfo text.
    public static func parseV1Mounts(mountinfo: String) -> [String: String] {
        v1Mounts(MountInfo.parse(mountinfo))
    }

    /// controller → mount point of the first `cgroup` (v1) mount naming it in its super options.
    static func v1Mounts(_ mounts: [MountInfo]) -> [String: String] {
        var out: [String: String] = [:]
        for m in mounts where m.fsType == "cgroup" {
            for opt in m.superOptions.split(separator: ",") where opt != "rw" && opt != "ro" {
                if out[String(opt)] == nil { out[String(opt)] = m.mountPoint }
            }
        }
        return out
    }

    /// Absolute directories of cgroup `relative` in every hierarchy stage1 uses.
    public func directories(_ relative: String) -> [String] {
        if let root = unifiedRoot { return [PathUtil.join(root, relative)] }
        var seen: Set<String> = []
        return CgroupHost.v1Controllers.compactMap { c in
            guard let m = v1Mounts[c], seen.insert(m).inserted else { return nil }
            return PathUtil.join(m, relative)
        }
    }

    /// Directory of `relative` in the hierarchy holding `controller`, or nil when the host has no
    /// such controller for it. On v2 that is the unified directory, provided the controller is in
    /// its `cgroup.controllers` (enabled by the parent's `cgroup.subtree_control`).
    public func directory(_ relative: String, controller: String) -> String? {
        if let root = unifiedRoot {
            let dir = PathUtil.join(root, relative)
            return Cgroup.controllers(at: dir).contains(controller) ? dir : nil
        }
        return v1Mounts[controller].map { PathUtil.join($0, relative) }
    }

    /// Creates `relative` (and its parents) in every hierarchy. On v2 it also enables the memory,
    /// cpu and pids controllers in the root and every ancestor of the leaf, so the leaf gets
    /// their knobs.
    public func create(_ relative: String) throws {
        for dir in directories(relative) { try Cgroup.mkdirAll(dir) }
        guard let root = unifiedRoot else { return }
        var path = root
        Cgroup.enableControllers(at: path)
        for part in relative.split(separator: "/").dropLast() {
            path = PathUtil.join(path, String(part))
            Cgroup.enableControllers(at: path)
        }
    }

    /// Opens the file through which a spawned child joins cgroup `relative` by writing "0", in
    /// every hierarchy: `cgroup.procs` on v2, `tasks` on v1. The child is single-threaded between
    /// clone and exec, so moving its one thread moves the process; and a v1 kernel moves the
    /// writing thread itself without taking the global threadgroup lock, whose write side waits
    /// for an RCU grace period (7–13 ms measured here, on every pod start; docs/performance.md).
    public func openProcs(_ relative: String) throws -> [Int32] {
        let file = unifiedRoot == nil ? "tasks" : "cgroup.procs"
        var fds: [Int32] = []
        do {
            for dir in directories(relative) {
                fds.append(try FileIO.open(PathUtil.join(dir, file), O_WRONLY | O_CLOEXEC))
            }
        } catch {
            for fd in fds { FileIO.close(fd) }
            throw error
        }
        return fds
    }

    /// A v2 directory fd for `CLONE_INTO_CGROUP`, or -1 on v1.
    public func openDirectory(_ relative: String) -> Int32 {
        guard let root = unifiedRoot else { return -1 }
        let fd = Glibc.open(PathUtil.join(root, relative), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        return fd
    }

    /// Removes `relative` and every cgroup below it, deepest first, in every hierarchy. A missing
    /// cgroup is not an error; a busy one (live processes) is.
    public func remove(_ relative: String) throws {
        for dir in directories(relative) { try Cgroup.removeTree(dir) }
    }
}

/// Knob writes and directory helpers.
public enum Cgroup {
    /// Writes `value` to `<dir>/<knob>`. O_TRUNC is what a shell's `>` does: cgroupfs ignores it,
    /// and a plain file (tests' fake trees) then holds exactly the last value.
    public static func write(_ dir: String, _ knob: String, _ value: String) throws {
        let path = PathUtil.join(dir, knob)
        let fd = try FileIO.open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        defer { FileIO.close(fd) }
        do { try FileIO.writeAll(fd: fd, Array(value.utf8), what: path) } catch {
            throw RktError("cannot write cgroup knob \(path)", cause: error)
        }
    }

    static func mkdirAll(_ dir: String) throws {
        if mkdir(dir, 0o755) == 0 || errno == EEXIST { return }
        guard errno == ENOENT else { throw RktError.errno("create cgroup", dir) }
        try mkdirAll(PathUtil.dirname(dir))
        if mkdir(dir, 0o755) != 0 && errno != EEXIST { throw RktError.errno("create cgroup", dir) }
    }

    /// The controllers stage1 delegates to pod and app cgroups on v2.
    public static let v2Controllers = ["memory", "cpu", "pids"]

    /// v2: the controllers available in `dir` (its `cgroup.controllers`), empty if unreadable.
    public static func controllers(at dir: String) -> Set<String> {
        let text = (try? FileIO.readString(PathUtil.join(dir, "cgroup.controllers"))) ?? ""
        return Set(text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
    }

    /// v2: delegate memory, cpu and pids to the children of `dir`, those `dir` has and not yet
    /// delegated. Controllers the kernel lacks are skipped, so their isolators warn instead of
    /// failing. One write enables them all (runc's way); if the kernel refuses one of them, each
    /// is tried on its own.
    static func enableControllers(at dir: String) {
        let available = controllers(at: dir)
        let enabled = Set(((try? FileIO.readString(PathUtil.join(dir, "cgroup.subtree_control"))) ?? "")
            .split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        let wanted = v2Controllers.filter { available.contains($0) && !enabled.contains($0) }
        if wanted.isEmpty { return }
        if (try? write(dir, "cgroup.subtree_control", wanted.map { "+" + $0 }.joined(separator: " "))) != nil { return }
        for c in wanted { try? write(dir, "cgroup.subtree_control", "+" + c) }
    }

    static func removeTree(_ dir: String) throws {
        guard let d = opendir(dir) else {
            if errno == ENOENT { return }
            throw RktError.errno("open cgroup", dir)
        }
        var children: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if e.pointee.d_type == UInt8(DT_DIR) && name != "." && name != ".." { children.append(name) }
        }
        closedir(d)
        for c in children { try removeTree(PathUtil.join(dir, c)) }
        if rmdir(dir) != 0 && errno != ENOENT { throw RktError.errno("remove cgroup", dir) }
    }

    /// systemd unit-name escaping of `-` as used in `machine-rkt\x2d<uuid>.scope`.
    public static func escapeUnitName(_ s: String) -> String {
        s.replacingAll("-", with: "\\x2d")
    }

    /// The pod's cgroup, relative to each hierarchy root (written to `<pod>/subcgroup`).
    public static func podPath(uuid: String) -> String {
        "machine.slice/machine-\(escapeUnitName("rkt-" + uuid)).scope"
    }
}

extension String {
    /// Foundation-free `replacingOccurrences(of:with:)`.
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for ch in self { if ch == target { out += replacement } else { out.append(ch) } }
        return out
    }
}
