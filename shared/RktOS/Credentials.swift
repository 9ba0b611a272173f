import CShim
import Glibc
import RktCommon

// `Credentials` (uid, gid, groups) is declared in Spawn.swift; this adds applying them to the
// current process, for the fly stage1 which execs the app itself without a clone.
extension Credentials {
    /// rkt fly's order: setresgid, setgroups, setresuid (the uid goes last because it drops
    /// the right to change the others). glibc applies each to every thread of the process.
    public func apply() throws {
        if rkt_setresgid(gid) != 0 { throw RktError.errno("setresgid", "\(gid)") }
        let list = groups.map { gid_t($0) }
        let r = list.withUnsafeBufferPointer { rkt_setgroups($0.count, $0.baseAddress) }
        if r != 0 { throw RktError.errno("setgroups", list.map(String.init).joined(separator: ",")) }
        if rkt_setresuid(uid) != 0 { throw RktError.errno("setresuid", "\(uid)") }
    }
}

/// Process-wide calls with rkt-style errors.
public enum ProcessOps {
    public static func chroot(_ path: String) throws {
        if Glibc.chroot(path) != 0 { throw RktError.errno("chroot", path) }
    }

    public static func chdir(_ path: String) throws {
        if Glibc.chdir(path) != 0 { throw RktError.errno("chdir", path) }
    }

    public static func getcwd() throws -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard Glibc.getcwd(&buf, buf.count) != nil else { throw RktError.errno("getcwd") }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static var pid: Int32 { getpid() }
    public static var processGroup: Int32 { getpgrp() }

    /// `kill(2)`; `pid` may be negative to signal a process group.
    public static func kill(_ pid: Int32, _ signal: Int32) throws {
        if Glibc.kill(pid, signal) != 0 { throw RktError.errno("kill", "\(pid)") }
    }

    /// True if a process with this pid exists (signal 0 probe; EPERM still means it exists).
    public static func isAlive(_ pid: Int32) -> Bool {
        Glibc.kill(pid, 0) == 0 || errno == EPERM
    }

    public static func setName(_ name: String) {
        _ = rkt_prctl_set_name(name)
    }
}
