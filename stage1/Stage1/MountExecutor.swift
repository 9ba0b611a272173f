import Glibc
import RktCommon
import RktOS

/// Applies a `MountPlan` to one app rootfs (host path `rootfs`), in pod-init's mount namespace.
public enum MountExecutor {
    public static func apply(_ steps: [MountStep], rootfs: String) throws {
        for step in steps {
            do { try apply(step, rootfs: rootfs) } catch {
                throw RktError("cannot set up mounts of \(rootfs)", cause: error)
            }
        }
    }

    /// Host path of in-root `path`, with symlinks resolved inside `rootfs`. Every step goes through
    /// it, the kernel-path masks too: an image whose /proc is a symlink must not steer them.
    static func target(_ rootfs: String, _ path: String) throws -> String {
        PathUtil.join(rootfs, try SecurePath.resolve(root: rootfs, path: path))
    }

    static func apply(_ step: MountStep, rootfs: String) throws {
        switch step {
        case let .bind(source, t, recursive, readOnly):
            let dst = try target(rootfs, t)
            guard let st = try FileSystem.statIfExists(source) else {
                if source.hasPrefix("/dev/") { return }  // a device the host lacks (e.g. no /dev/tty)
                throw RktError("bind source \(source)", causes: [RktError.strerror(ENOENT)])
            }
            try createTarget(dst, directory: st.isDirectory)
            try Mounts.bind(source, dst, recursive: recursive, readOnly: readOnly)
        case let .filesystem(type, t, readOnly, data):
            let dst = try target(rootfs, t)
            try FileSystem.mkdirAll(dst)
            var flags: MountFlags = [.noSuid]
            // /dev holds the device binds and devpts its ptmx/pty nodes: both need device access.
            if !(type == "tmpfs" && t == "/dev") && type != "devpts" { flags.insert(.noDev) }
            if type == "proc" || type == "sysfs" { flags.insert(.noExec) }
            if readOnly { flags.insert(.readOnly) }
            do {
                try Mounts.mount(source: type, target: dst, fsType: type, flags: flags, data: data)
            } catch where type == "sysfs" {
                // A new sysfs needs a network namespace we own; with --net=host fall back to the host's.
                try Mounts.bind("/sys", dst, recursive: true, readOnly: true)
            }
        case let .readOnly(t):
            let dst = try target(rootfs, t)
            guard FileSystem.exists(dst) else { return }
            try Mounts.bind(dst, dst, recursive: false, readOnly: true)
        case let .writable(t):
            let dst = try target(rootfs, t)
            guard FileSystem.exists(dst) else { return }
            // A bind inherits the read-only flag of the mount it comes from: remount it writable.
            try Mounts.bind(dst, dst)
            try Mounts.remountWritable(dst)
        case let .hide(t):
            let dst = try target(rootfs, t)
            guard let st = try FileSystem.statIfExists(dst) else { return }
            if st.isDirectory {
                try Mounts.tmpfs(dst, flags: [.readOnly, .noSuid, .noDev, .noExec], options: "size=0")
            } else {
                try Mounts.bind("/dev/null", dst)
            }
        case let .symlink(linkTarget, at):
            // The link itself is replaced, so only its directory is resolved.
            let dst = PathUtil.join(try target(rootfs, PathUtil.dirname(at)), PathUtil.basename(at))
            try FileSystem.removeIfExists(dst)
            try FileSystem.symlink(target: linkTarget, at: dst)
        case .readOnlyRoot:
            try Mounts.remountReadOnly(rootfs)
        }
    }

    /// Creates a mount target matching the source type (directory or empty file).
    static func createTarget(_ path: String, directory: Bool) throws {
        if let st = try FileSystem.lstatIfExists(path) {
            if st.isDirectory == directory { return }
            throw RktError("mount target \(path) is not a \(directory ? "directory" : "file")")
        }
        if directory {
            try FileSystem.mkdirAll(path)
        } else {
            try FileSystem.mkdirAll(PathUtil.dirname(path))
            try FileSystem.touch(path)
        }
    }
}
