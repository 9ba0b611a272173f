import RktCommon
import RktOS

/// The environment and identity of an app process (rkt-architecture.md §1.6).
public enum AppEnvironment {
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// App env, then `AC_APP_NAME`, then the defaults for whatever the app left unset.
    public static func build(app: String, env: [EnvironmentVariable], metadataURL: String? = nil) -> [String] {
        var out: [(String, String)] = []
        func set(_ k: String, _ v: String) {
            if let i = out.firstIndex(where: { $0.0 == k }) { out[i].1 = v } else { out.append((k, v)) }
        }
        for e in env { set(e.name, e.value) }
        set("AC_APP_NAME", app)
        if let metadataURL { set("AC_METADATA_URL", metadataURL) }
        let defaults = [("PATH", defaultPath), ("SHELL", "/bin/sh"), ("USER", "root"), ("LOGNAME", "root"), ("HOME", "/root")]
        for (k, v) in defaults where !out.contains(where: { $0.0 == k }) { out.append((k, v)) }
        return out.map { "\($0.0)=\($0.1)" }
    }

    /// `rkt/env/<app>` contents: one `K=V` per line.
    public static func file(_ env: [String]) -> String { env.map { $0 + "\n" }.joined() }

    /// Parses an env file written by `file`.
    public static func parseFile(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { $0.contains("=") }
    }

    /// Resolves `user`/`group` to credentials as appc allows them: a number, an absolute path
    /// whose owner (uid) or group (gid) is taken, or a name looked up in the image's /etc/passwd
    /// and /etc/group (rkt: pkg/user NumericIDs, IDsFromStat, IDsFromEtc). Paths and files are
    /// resolved in-root, so a symlink cannot escape. `idShift` is the `--private-users` shift the
    /// rootfs owners carry. Supplementary groups are the app's `supplementaryGIDs`.
    public static func credentials(rootfs: String, user: String, group: String, supplementary: [Int],
                                   idShift: UInt32 = 0) throws -> Credentials {
        // (Not via UserDatabase.passwd(root:): its openat2 call currently fails with EINVAL.)
        func resolve(_ value: String, _ what: String, _ file: String, owner: (FileStat) -> UInt32,
                     byName: (String) -> UInt32?) throws -> UInt32 {
            do {
                if let n = UInt32(value) { return n }
                if value.hasPrefix("/") {
                    let id = owner(try FileSystem.stat(try SecurePath.hostPath(root: rootfs, path: value)))
                    return id >= idShift ? id - idShift : id
                }
                let text = try FileIO.readString(try SecurePath.hostPath(root: rootfs, path: file))
                guard let id = byName(text) else {
                    throw RktError("\(what) \"\(value)\" not found in \(PathUtil.join(rootfs, file))")
                }
                return id
            } catch { throw RktError("invalid \(what) \"\(value)\"", cause: error) }
        }
        let uid = try resolve(user, "user", "/etc/passwd", owner: { UInt32($0.uid) }) { text in
            UserDatabase.parsePasswd(text).first { $0.name == user }?.uid
        }
        let gid = try resolve(group, "group", "/etc/group", owner: { UInt32($0.gid) }) { text in
            UserDatabase.parseGroup(text).first { $0.name == group }?.gid
        }
        return Credentials(uid: uid, gid: gid, groups: supplementary.map { UInt32(truncatingIfNeeded: $0) })
    }

    /// Finds `exec` inside `rootfs`: absolute paths as they are, bare names along `PATH`.
    public static func resolveExec(_ exec: String, rootfs: String, env: [String]) throws -> String {
        if exec.hasPrefix("/") { return exec }
        let path = env.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? defaultPath
        for dir in path.split(separator: ":") {
            let candidate = PathUtil.join(String(dir), exec)
            if access(PathUtil.join(rootfs, candidate), X_OK) == 0 { return candidate }
        }
        throw RktError("cannot find executable \(exec) in the app's PATH")
    }
}

import Glibc
