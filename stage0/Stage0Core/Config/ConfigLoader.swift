#if canImport(Glibc)
import Glibc
#endif
import RktCommon
import RktJSON
import RktOS

/// Reads and merges configuration directories (rkt: rkt/config/config.go `GetConfigFrom`).
///
/// Each directory is parsed on its own (a key given twice in one directory is an error), then
/// merged over the previous ones: later directories win per domain, registry, path field, and
/// for stage1 per name+version pair and per location.
public enum ConfigLoader {
    /// Subdirectory → the kinds allowed in it.
    static let subdirectories: [(String, Set<String>)] = [
        ("auth.d", ["auth", "dockerAuth"]),
        ("paths.d", ["paths"]),
        ("stage1.d", ["stage1"]),
    ]

    public static func load(directories: [String]) throws -> RktConfig {
        var merged = RktConfig()
        for dir in directories where !dir.isEmpty {
            let layer = try readDirectory(dir)
            merge(layer, into: &merged)
        }
        return merged
    }

    /// Parses one configuration directory; missing directories or subdirectories contribute nothing.
    public static func readDirectory(_ dir: String) throws -> RktConfig {
        var config = RktConfig()
        for (sub, kinds) in subdirectories {
            let path = dir + "/" + sub
            for file in try jsonFiles(in: path) {
                try parseFile(file, allowedKinds: kinds, into: &config)
            }
        }
        return config
    }

    static func merge(_ layer: RktConfig, into base: inout RktConfig) {
        base.authPerHost.merge(layer.authPerHost) { _, new in new }
        base.dockerCredentialsPerRegistry.merge(layer.dockerCredentialsPerRegistry) { _, new in new }
        if !layer.paths.dataDir.isEmpty { base.paths.dataDir = layer.paths.dataDir }
        if !layer.paths.stage1ImagesDir.isEmpty { base.paths.stage1ImagesDir = layer.paths.stage1ImagesDir }
        if !layer.stage1.name.isEmpty {
            base.stage1.name = layer.stage1.name
            base.stage1.version = layer.stage1.version
        }
        if !layer.stage1.location.isEmpty { base.stage1.location = layer.stage1.location }
    }

    /// Regular `*.json` files directly inside `dir`, sorted; subdirectories and symlinks are skipped.
    static func jsonFiles(in dir: String) throws -> [String] {
        guard let st = try? FileSystem.statIfExists(dir) else { return [] }
        guard st.isDirectory else { throw RktError("cannot read config directory \(dir)", causes: ["not a directory"]) }
        let names: [String]
        do {
            names = try FileSystem.listDirectory(dir)
        } catch {
            throw RktError("cannot read config directory \(dir)", cause: error)
        }
        return names.sorted().compactMap { name -> String? in
            guard name.hasSuffix(".json") else { return nil }
            let path = dir + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
            return path
        }
    }

    static func parseFile(_ path: String, allowedKinds: Set<String>, into config: inout RktConfig) throws {
        let object: JSONValue
        do {
            let obj = try parseJSON(try FileIO.readFile(path))
            guard obj.objectValue != nil else { throw RktError("not a json object") }
            object = obj
        } catch {
            throw RktError("cannot parse config file \(path)", cause: error)
        }
        let kind = object["rktKind"]?.stringValue ?? ""
        let version = object["rktVersion"]?.stringValue ?? ""
        guard !kind.isEmpty else { throw RktError("no rktKind specified in config file \(path)") }
        guard !version.isEmpty else { throw RktError("no rktVersion specified in config file \(path)") }
        guard allowedKinds.contains(kind) else {
            let dir = PathUtil.dirname(path)
            throw RktError("config file \(path) has kind \"\(kind)\", which is not allowed in \(dir)")
        }
        guard version == "v1" else {
            throw RktError("no parser available for config kind \"\(kind)\" and version \"\(version)\" in \(path)")
        }
        do {
            switch kind {
            case "auth": try ConfigParsers.auth(object, into: &config)
            case "dockerAuth": try ConfigParsers.dockerAuth(object, into: &config)
            case "paths": try ConfigParsers.paths(object, into: &config)
            default: try ConfigParsers.stage1(object, into: &config)
            }
        } catch {
            throw RktError("cannot parse config file \(path)", cause: error)
        }
    }
}

/// One parser per `rktKind` (v1); each rejects a key already set in the same directory.
enum ConfigParsers {
    static func auth(_ o: JSONValue, into config: inout RktConfig) throws {
        let domains = Self.strings(o["domains"])
        guard !domains.isEmpty else { throw RktError("no domains specified") }
        let type = o["type"]?.stringValue ?? ""
        guard !type.isEmpty else { throw RktError("no auth type specified") }
        let creds = (o["credentials"] ?? [:])
        let auth: AuthCredentials
        switch type {
        case "basic":
            auth = .basic(try basic(creds))
        case "oauth":
            let token = creds["token"]?.stringValue ?? ""
            guard !token.isEmpty else { throw RktError("no oauth bearer token specified") }
            auth = .oauth(token: token)
        case "aws":
            let id = creds["accessKeyID"]?.stringValue ?? ""
            let secret = creds["secretAccessKey"]?.stringValue ?? ""
            guard !id.isEmpty else { throw RktError("no aws access key id specified") }
            guard !secret.isEmpty else { throw RktError("no aws secret access key specified") }
            auth = .aws(AWSCredentials(accessKeyID: id, secretAccessKey: secret, awsRegion: creds["awsRegion"]?.stringValue ?? ""))
        default:
            throw RktError("unknown auth type \"\(type)\"")
        }
        for domain in domains {
            guard config.authPerHost[domain] == nil else {
                throw RktError("auth for domain \"\(domain)\" is already specified")
            }
            config.authPerHost[domain] = auth
        }
    }

    static func dockerAuth(_ o: JSONValue, into config: inout RktConfig) throws {
        let registries = Self.strings(o["registries"])
        guard !registries.isEmpty else { throw RktError("no registries specified") }
        let creds = try basic((o["credentials"] ?? [:]))
        for registry in registries {
            guard config.dockerCredentialsPerRegistry[registry] == nil else {
                throw RktError("credentials for docker registry \"\(registry)\" are already specified")
            }
            config.dockerCredentialsPerRegistry[registry] = creds
        }
    }

    static func paths(_ o: JSONValue, into config: inout RktConfig) throws {
        if let data = o["data"]?.stringValue, !data.isEmpty {
            guard config.paths.dataDir.isEmpty else { throw RktError("data directory is already specified") }
            config.paths.dataDir = data
        }
        if let images = o["stage1-images"]?.stringValue, !images.isEmpty {
            guard config.paths.stage1ImagesDir.isEmpty else { throw RktError("stage1 images directory is already specified") }
            config.paths.stage1ImagesDir = images
        }
    }

    static func stage1(_ o: JSONValue, into config: inout RktConfig) throws {
        let name = o["name"]?.stringValue ?? ""
        let version = o["version"]?.stringValue ?? ""
        let location = o["location"]?.stringValue ?? ""
        if !name.isEmpty || !version.isEmpty {
            guard !name.isEmpty else { throw RktError("default stage1 image name not specified") }
            guard !version.isEmpty else { throw RktError("default stage1 image version not specified") }
            guard config.stage1.name.isEmpty else {
                throw RktError("name and version of a default stage1 image are already specified")
            }
            config.stage1.name = name
            config.stage1.version = version
        }
        if !location.isEmpty {
            guard isValidStage1Location(location) else {
                throw RktError("default stage1 image location \"\(location)\" is neither an absolute path nor a file, docker, http or https url")
            }
            guard config.stage1.location.isEmpty else {
                throw RktError("location of a default stage1 image is already specified")
            }
            config.stage1.location = location
        }
    }

    /// A list of strings; anything else (a number among them, not an array) counts as none.
    static func strings(_ v: JSONValue?) -> [String] {
        guard let items = v?.arrayValue else { return [] }
        var out: [String] = []
        for item in items {
            guard let s = item.stringValue else { return [] }
            out.append(s)
        }
        return out
    }

    static func isValidStage1Location(_ s: String) -> Bool {
        if s.hasPrefix("/") { return true }
        return ["file://", "docker://", "http://", "https://"].contains { s.hasPrefix($0) }
    }

    static func basic(_ creds: JSONValue) throws -> BasicCredentials {
        let user = creds["user"]?.stringValue ?? ""
        let password = creds["password"]?.stringValue ?? ""
        guard !user.isEmpty else { throw RktError("no user specified") }
        guard !password.isEmpty else { throw RktError("no password specified") }
        return BasicCredentials(user: user, password: password)
    }
}
