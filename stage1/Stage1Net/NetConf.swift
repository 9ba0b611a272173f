import Glibc
import RktCommon
import RktJSON
import RktOS

/// One CNI network configuration file (`.conf` or `.conflist`), kept byte-for-byte: the plugin's
/// stdin must equal the file (rkt-functional-tests.md §2.10, "CNI contract").
public struct NetConf: Sendable {
    public var name: String
    /// The plugin `type` of a `.conf`; the first plugin's type of a `.conflist`.
    public var type: String
    public var cniVersion: String
    public var ipMasq: Bool
    public var isConfList: Bool
    /// The original file path and bytes.
    public var path: String
    public var bytes: [UInt8]
    public var json: JSONObject

    /// Parses a configuration file; errors name the file.
    public static func load(path: String) throws -> NetConf {
        let bytes = try FileIO.readFile(path)
        let value: JSONValue
        do { value = try parseJSON(bytes) } catch {
            throw RktError("error loading network config \(path)", cause: error)
        }
        guard let obj = value.objectValue else {
            throw RktError("error loading network config \(path): not a JSON object")
        }
        guard let name = obj["name"]?.stringValue, !name.isEmpty else {
            throw RktError("error loading network config \(path): missing \"name\"")
        }
        try validateNetworkName(name, file: path)
        let isList = path.hasSuffix(".conflist")
        var type = obj["type"]?.stringValue ?? ""
        var ipMasq = obj["ipMasq"]?.boolValue ?? false
        if isList {
            guard let plugins = obj["plugins"]?.arrayValue, let first = plugins.first?.objectValue else {
                throw RktError("error loading network config \(path): a .conflist needs a non-empty \"plugins\" list")
            }
            type = first["type"]?.stringValue ?? ""
            ipMasq = plugins.contains { $0["ipMasq"]?.boolValue == true }
        }
        guard !type.isEmpty else {
            throw RktError("error loading network config \(path): missing \"type\"")
        }
        guard !type.contains("/") && !type.contains("\\") else {
            throw RktError("error loading network config \(path): invalid plugin type \"\(type)\"")
        }
        return NetConf(
            name: name, type: type, cniVersion: obj["cniVersion"]?.stringValue ?? "0.1.0",
            ipMasq: ipMasq, isConfList: isList, path: path, bytes: bytes, json: obj)
    }

    /// CHECK and DEL get the stored ADD result as `prevResult` from CNI 0.4.0 on.
    public var passesPrevResult: Bool { Self.version(cniVersion, atLeast: [0, 4, 0]) }

    /// CHECK exists from CNI 0.4.0; a `.conflist` may turn it off with `disableCheck`.
    public var supportsCheck: Bool { passesPrevResult && json["disableCheck"]?.boolValue != true }

    /// Compares dotted versions numerically (`0.10.0` > `0.4.0`); junk compares as 0.
    static func version(_ v: String, atLeast min: [Int]) -> Bool {
        let parts = v.split(separator: ".").map { Int($0) ?? 0 }
        for i in 0..<Swift.max(parts.count, min.count) {
            let a = i < parts.count ? parts[i] : 0
            let b = i < min.count ? min[i] : 0
            if a != b { return a > b }
        }
        return true
    }

    /// CNI network names: start alphanumeric, then alphanumerics, `_`, `.` or `-`.
    static func validateNetworkName(_ name: String, file: String) throws {
        let ok = name.utf8.enumerated().allSatisfy { i, c in
            let alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
            return alnum || (i > 0 && (c == 0x5f || c == 0x2e || c == 0x2d))
        }
        guard ok else { throw RktError("error loading network config \(file): invalid network name \"\(name)\"") }
    }
}

/// Loads the networks a pod asked for, in rkt's order (rkt-architecture.md §8.2): the stage1's
/// built-in `etc/rkt/net.d` first, then `<local-config>/net.d`, where a user network with the
/// same name overrides the built-in one; within one directory the first file (sorted) wins.
/// The selected networks are applied in file-name order.
public struct NetConfLoader {
    public var builtinDir: String
    public var userDir: String

    public init(stage1Rootfs: String, localConfig: String) {
        builtinDir = stage1Rootfs + "/etc/rkt/net.d"
        userDir = localConfig + "/net.d"
    }

    /// Every network defined, by name.
    public func all() throws -> [String: NetConf] {
        var byName: [String: NetConf] = [:]
        for conf in try loadDir(builtinDir) where byName[conf.name] == nil { byName[conf.name] = conf }
        var user: [String: NetConf] = [:]
        for conf in try loadDir(userDir) where user[conf.name] == nil { user[conf.name] = conf }
        for (name, conf) in user { byName[name] = conf }
        return byName
    }

    /// The networks named in `selection`, sorted by file name, each with its CNI_ARGS.
    public func select(_ requested: [NetSelection.RequestedNet], all everything: Bool) throws -> [(NetConf, String)] {
        let defined = try all()
        var chosen: [(NetConf, String)] = []
        if everything {
            // `all`: every user network plus the defaults (rkt loads all defined networks).
            for conf in defined.values { chosen.append((conf, "")) }
        }
        var missing: [String] = []
        for req in requested {
            guard let conf = defined[req.name] else { missing.append(req.name); continue }
            chosen.removeAll { $0.0.name == req.name }
            chosen.append((conf, req.args))
        }
        if !missing.isEmpty {
            throw RktError("networks not found: \(missing.joined(separator: ", "))")
        }
        return chosen.sorted { basename($0.0.path) < basename($1.0.path) }
    }

    private func loadDir(_ dir: String) throws -> [NetConf] {
        guard let names = try? FileSystem.listDirectory(dir) else { return [] }
        return try names.filter { $0.hasSuffix(".conf") || $0.hasSuffix(".conflist") || $0.hasSuffix(".json") }
            .sorted()
            .map { try NetConf.load(path: dir + "/" + $0) }
    }

    private func basename(_ p: String) -> String { PathUtil.basename(p) }
}
