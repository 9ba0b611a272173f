import CShim
import Glibc
import RktCommon

/// The process environment as `K=V` strings, and the pod's per-app env files
/// (`stage1/rootfs/rkt/env/<app>`, one `K=V` per line; rkt: common.WriteEnvFile/ReadEnvFileRaw).
public enum Environment {
    /// The inherited environment, in order (read from `environ`, never modified with setenv).
    public static func current() -> [String] {
        var out: [String] = []
        guard let env = rkt_environ() else { return out }
        var i = 0
        while let p = env[i] {
            out.append(String(cString: p))
            i += 1
        }
        return out
    }

    /// Value of `name` in a `K=V` list (the first match wins, like getenv).
    public static func value(_ name: String, in env: [String]) -> String? {
        let prefix = name + "="
        return env.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    /// Value of `name` in this process's environment.
    public static func get(_ name: String) -> String? {
        guard let p = getenv(name) else { return nil }
        return String(cString: p)
    }

    /// Returns `env` with `name` set, replacing an existing entry in place or appending.
    public static func setting(_ name: String, _ value: String, in env: [String]) -> [String] {
        let prefix = name + "="
        var out = env
        if let i = out.firstIndex(where: { $0.hasPrefix(prefix) }) {
            out[i] = prefix + value
        } else {
            out.append(prefix + value)
        }
        return out
    }

    /// Writes an env file with `name=value` lines, creating its directory.
    public static func writeEnvFile(_ path: String, _ vars: [(name: String, value: String)], mode: mode_t = 0o644) throws {
        try FileSystem.mkdirAll(PathUtil.dirname(path))
        let text = vars.map { "\($0.name)=\($0.value)\n" }.joined()
        do {
            // Run-time state inside the pod, written again on every start: no fsync.
            try FileIO.writeFileAtomic(path, text, mode: mode, durable: false)
        } catch {
            throw RktError("cannot write env file \(path)", cause: error)
        }
    }

    /// Reads an env file as `K=V` strings (blank lines skipped), ready to use as envp.
    public static func readEnvFile(_ path: String) throws -> [String] {
        do {
            return try FileIO.readString(path).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        } catch {
            throw RktError("cannot read env file \(path)", cause: error)
        }
    }
}
