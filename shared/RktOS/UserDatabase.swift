import Glibc
import RktCommon

/// `/etc/passwd` and `/etc/group` of an image rootfs, never the host's (rkt: pkg/user,
/// pkg/passwd, pkg/group). Lookups read the files through `SecurePath` so a symlinked `etc`
/// cannot point at host files.
public enum UserDatabase {
    public struct PasswdEntry: Sendable, Equatable {
        public var name: String
        public var uid: UInt32
        public var gid: UInt32
        public var home: String
        public var shell: String
    }

    public struct GroupEntry: Sendable, Equatable {
        public var name: String
        public var gid: UInt32
        public var members: [String]
    }

    /// Parses passwd text; comments, blank and malformed lines are skipped.
    public static func parsePasswd(_ text: String) -> [PasswdEntry] {
        text.split(separator: "\n").compactMap { line in
            if line.hasPrefix("#") { return nil }
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 7, let uid = UInt32(f[2]), let gid = UInt32(f[3]) else { return nil }
            return PasswdEntry(name: String(f[0]), uid: uid, gid: gid, home: String(f[5]), shell: String(f[6]))
        }
    }

    public static func parseGroup(_ text: String) -> [GroupEntry] {
        text.split(separator: "\n").compactMap { line in
            if line.hasPrefix("#") { return nil }
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 4, let gid = UInt32(f[2]) else { return nil }
            let members = f[3].split(separator: ",").map(String.init)
            return GroupEntry(name: String(f[0]), gid: gid, members: members)
        }
    }

    public static func passwd(root: String) throws -> [PasswdEntry] {
        parsePasswd(String(decoding: try SecurePath.readFile(root: root, path: "/etc/passwd"), as: UTF8.self))
    }

    public static func groups(root: String) throws -> [GroupEntry] {
        parseGroup(String(decoding: try SecurePath.readFile(root: root, path: "/etc/group"), as: UTF8.self))
    }

    public static func lookupUser(_ name: String, root: String) throws -> PasswdEntry {
        guard let e = try passwd(root: root).first(where: { $0.name == name }) else {
            throw RktError("user \"\(name)\" not found in \(PathUtil.join(root, "etc/passwd"))")
        }
        return e
    }

    public static func lookupGroup(_ name: String, root: String) throws -> GroupEntry {
        guard let e = try groups(root: root).first(where: { $0.name == name }) else {
            throw RktError("group \"\(name)\" not found in \(PathUtil.join(root, "etc/group"))")
        }
        return e
    }

    /// The app's uid and gid the way rkt's stage1 resolves `user`/`group` of an app
    /// (rkt: stage1/init/common ParseUserGroup): a number; an absolute path whose owner is used
    /// (`/etc/x` inside the rootfs); else a name from the image's passwd/group files.
    public static func resolveUserGroup(user: String, group: String, root: String) throws -> (uid: UInt32, gid: UInt32) {
        let uid: UInt32
        do {
            if let n = UInt32(user) {
                uid = n
            } else if user.hasPrefix("/") {
                uid = try FileSystem.stat(try SecurePath.hostPath(root: root, path: user)).uid
            } else {
                uid = try lookupUser(user, root: root).uid
            }
        } catch {
            throw RktError("invalid user \"\(user)\"", cause: error)
        }
        let gid: UInt32
        do {
            if let n = UInt32(group) {
                gid = n
            } else if group.hasPrefix("/") {
                gid = try FileSystem.stat(try SecurePath.hostPath(root: root, path: group)).gid
            } else {
                gid = try lookupGroup(group, root: root).gid
            }
        } catch {
            throw RktError("invalid group \"\(group)\"", cause: error)
        }
        return (uid, gid)
    }
}
