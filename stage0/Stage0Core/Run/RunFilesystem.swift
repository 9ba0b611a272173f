#if canImport(Glibc)
import Glibc
#endif
import CShim
import RktCommon
import RktOS

/// Overlay support of the data directory (rkt: common/common.go `PathSupportsOverlay`).
public enum OverlaySupport {
    static let aufsMagic = 0x6175_6673
    static let zfsMagic = 0x2FC1_2FC1
    static let overlayMagic = 0x794C_7630

    /// nil when pods under `dataDir` can use overlayfs, else the reason rkt prints in
    /// `disabling overlay support: "<reason>"`.
    public static func unsupportedReason(dataDir: String) -> String? {
        let fs = (try? FileIO.readString("/proc/filesystems")) ?? ""
        guard fs.split(separator: "\n").contains("nodev\toverlay") else { return "overlay entry not present in /proc/filesystems" }
        var fsType: Int64 = 0
        guard rkt_statfs_type(dataDir, &fsType) == 0 else { return "cannot statfs \(dataDir): \(RktError.strerror(errno))" }
        switch Int(fsType) {
        case aufsMagic: return "unsupported filesystem: aufs"
        case zfsMagic: return "unsupported filesystem: zfs"
        // An upper directory cannot live on overlayfs itself.
        case overlayMagic: return "unsupported filesystem: overlay"
        default: break
        }
        // XFS with ftype=0 and friends return DT_UNKNOWN, which overlayfs cannot work with.
        guard let dir = opendir(dataDir) else { return "cannot open \(dataDir): \(RktError.strerror(errno))" }
        defer { closedir(dir) }
        while let e = readdir(dir) {
            if e.pointee.d_type == UInt8(DT_UNKNOWN) { return "unsupported filesystem: missing d_type support" }
        }
        return nil
    }

    /// The `lowerdir=…,upperdir=…,workdir=…` option string; `:` and `,` in paths are escaped
    /// because the kernel splits on them.
    public static func options(lower: String, upper: String, work: String) -> String {
        func esc(_ p: String) -> String {
            var out = ""
            out.reserveCapacity(p.utf8.count)
            for c in p {
                if c == "\\" || c == ":" || c == "," { out.append("\\") }
                out.append(c)
            }
            return out
        }
        return "lowerdir=\(esc(lower)),upperdir=\(esc(upper)),workdir=\(esc(work))"
    }

    /// Mounts an overlay on `target`, creating `upper` and `work` first.
    public static func mount(lower: String, upper: String, work: String, target: String) throws {
        try FileSystem.mkdirAll(upper, mode: 0o755)
        try FileSystem.mkdirAll(work, mode: 0o755)
        try FileSystem.mkdirAll(target, mode: 0o755)
        do {
            try Mounts.mount(source: "overlay", target: target, fsType: "overlay",
                             data: options(lower: lower, upper: upper, work: work))
        } catch {
            throw RktError("cannot mount overlay on \(target)", cause: error)
        }
    }
}

/// Copies of rendered trees for pods without overlay.
public enum TreeCopy {
    /// Copies `src`'s contents into `dst` keeping owners, modes, links, devices and xattrs
    /// (`cp -a`, which uses reflinks/copy_file_range where the filesystem can).
    public static func copy(from src: String, to dst: String) throws {
        try FileSystem.mkdirAll(dst, mode: 0o755)
        let cp = FileSystem.exists("/bin/cp") ? "/bin/cp" : "/usr/bin/cp"
        let status = try Subprocess(path: cp, argv: ["cp", "-a", "--", src + "/.", dst]).run()
        guard status == .exited(0) else {
            throw RktError("cannot copy \(src) to \(dst)", causes: ["cp exited with \(status)"])
        }
    }

    /// Shifts every owner under `root` by `shift` (user namespaces without overlay): files owned
    /// by 0 inside become owned by `shift` on the host.
    public static func shiftOwners(_ root: String, by shift: UInt32) throws {
        guard shift > 0 else { return }
        // Breadth-first; symlinks are chowned themselves and never followed.
        var paths = [root]
        var next = 0
        while next < paths.count {
            let p = paths[next]
            next += 1
            var st = stat()
            guard lstat(p, &st) == 0 else { throw RktError.errno("cannot stat", p) }
            let mode = st.st_mode
            if (mode & S_IFMT) == S_IFDIR {
                for name in try FileSystem.listDirectory(p) { paths.append(p + "/" + name) }
            }
            guard lchown(p, st.st_uid &+ shift, st.st_gid &+ shift) == 0 else { throw RktError.errno("cannot chown", p) }
            // chown clears setuid/setgid bits; put them back.
            if (mode & S_IFMT) != S_IFLNK, (mode & 0o6000) != 0 { _ = chmod(p, mode & 0o7777) }
        }
    }
}

/// `--debug` phase timings on stderr (`run: timing: parse 0.4ms`), read by the benchmarks.
public final class PhaseTimer: @unchecked Sendable {
    private var last: timespec
    private let enabled: Bool
    private let prefix: String

    public init(enabled: Bool, command: String) {
        self.enabled = enabled
        self.prefix = command
        last = Self.now()
    }

    /// `%.1f` without Foundation's String(format:).
    static func oneDecimal(_ ms: Double) -> String {
        let tenths = Int((ms * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    static func now() -> timespec {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return t
    }

    /// Ends the current phase, printing how long it took since the previous mark.
    public func mark(_ phase: String) {
        guard enabled else { return }
        let t = Self.now()
        let ms = Double(t.tv_sec - last.tv_sec) * 1000 + Double(t.tv_nsec - last.tv_nsec) / 1_000_000
        last = t
        Stage0Context.writeStderr("\(prefix): timing: \(phase) \(Self.oneDecimal(ms))ms\n")
    }
}
