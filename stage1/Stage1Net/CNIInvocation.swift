import Glibc
import RktCommon
import RktJSON
import RktOS

/// The CNI protocol side of pod networking (appc-docker-cni.md §8.1): one ADD, CHECK or DEL of
/// one network, for a `.conf` (one plugin) or a `.conflist` (each plugin in turn).
struct CNIInvocation {
    enum Command: String { case add = "ADD", check = "CHECK", del = "DEL" }

    var podUUID: String
    /// Directories searched for plugin binaries, in order; also passed as `CNI_PATH`.
    var pluginPath: [String]

    /// Runs `command` for `conf` on `ifName` in the netns at `netnsPath`. `prevResult` is the
    /// stored ADD result, sent to CHECK and DEL when the configuration's version has them
    /// (≥ 0.4.0); older plugins get the configuration exactly as written.
    func run(_ command: Command, conf: NetConf, netnsPath: String, ifName: String, args: String,
             prevResult: JSONValue? = nil, quiet: Bool = false) throws -> CNIResult {
        let env = [
            // rkt always set CNI_VERSION=0.1.0 (only spec 0.1.0 reads it); the version a
            // plugin speaks comes from the configuration's cniVersion.
            "CNI_VERSION=0.1.0", "CNI_COMMAND=\(command.rawValue)", "CNI_CONTAINERID=\(podUUID)",
            "CNI_NETNS=\(netnsPath)", "CNI_ARGS=\(args)", "CNI_IFNAME=\(ifName)",
            "CNI_PATH=\(pluginPath.joined(separator: ":"))",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ]
        let prev = command != .add && conf.passesPrevResult ? prevResult : nil
        if !conf.isConfList {
            var stdin = conf.bytes
            if let prev {
                var obj = conf.json
                obj["prevResult"] = prev
                stdin = JSONValue.object(obj).serialized(pretty: false)
            }
            return try invoke(try findPlugin(conf.type), env: env, stdin: stdin, network: conf.name, command: command, quiet: quiet)
        }
        // A .conflist: each plugin gets name and cniVersion injected. ADD chains each plugin's
        // result into the next one's prevResult; CHECK gives every plugin the final ADD result,
        // in order; DEL runs the list in reverse, also with the final result.
        let plugins = conf.json["plugins"]?.arrayValue?.compactMap(\.objectValue) ?? []
        var chained: JSONValue?
        var last = CNIResult(dns: CNIResult.DNS(), raw: .null)
        for plugin in command == .del ? plugins.reversed() : plugins {
            var obj = plugin
            obj["name"] = .string(conf.name)
            obj["cniVersion"] = .string(conf.cniVersion)
            if let p = command == .add ? chained : prev { obj["prevResult"] = p }
            let path = try findPlugin(plugin["type"]?.stringValue ?? "")
            let out = try invoke(path, env: env, stdin: JSONValue.object(obj).serialized(pretty: false),
                                 network: conf.name, command: command, quiet: quiet)
            if command == .add {
                last = out
                chained = out.raw
            }
        }
        return last
    }

    private func invoke(_ plugin: String, env: [String], stdin: [UInt8], network: String, command: Command, quiet: Bool) throws -> CNIResult {
        let out = try PluginExec.run(plugin, argv: [plugin], env: env, input: stdin, quiet: quiet)
        guard out.status == 0 else {
            let reason = CNIErrorObject.parse(out.stdout)?.text
                ?? "netplugin failed but error parsing its diagnostic message \"\(String(decoding: out.stdout, as: UTF8.self))\""
            throw RktError("\(PathUtil.basename(plugin)) \(command.rawValue) for network \(network)", causes: [reason])
        }
        // Only ADD prints a result; CHECK and DEL print nothing on success.
        if command != .add || out.stdout.isEmpty { return CNIResult(dns: CNIResult.DNS(), raw: .null) }
        return try CNIResult.parse(out.stdout)
    }

    func findPlugin(_ type: String) throws -> String {
        for dir in pluginPath where access(dir + "/" + type, X_OK) == 0 { return dir + "/" + type }
        throw RktError("Could not find plugin \"\(type)\" in \(pluginPath.joined(separator: ":"))")
    }
}
