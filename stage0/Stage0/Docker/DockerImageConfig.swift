import RktCommon
import Stage0Core
import RktJSON

/// The fields of a Docker/OCI image config blob that the conversion uses
/// (image-spec config.md; docker2aci lib/internal/types.go).
public struct DockerImageConfig: Equatable, Sendable {
    public var os = "linux"
    public var architecture = "amd64"
    public var variant: String?
    public var created: String?
    public var author: String?
    public var user = ""
    public var env: [String] = []
    public var entrypoint: [String] = []
    public var cmd: [String] = []
    public var workingDir = ""
    public var exposedPorts: [String] = []
    public var volumes: [String] = []
    public var labels: [String: String] = [:]
    /// False when the config has no `config` object: the ACI then has no app section.
    public var hasRunConfig = false

    public init() {}

    public init(parsing bytes: [UInt8]) throws {
        let root: JSONValue
        do { root = try parseJSON(bytes) } catch {
            throw RktError("cannot parse image config", cause: error)
        }
        guard root.objectValue != nil else { throw RktError("cannot parse image config", causes: ["not a JSON object"]) }
        os = root["os"]?.stringValue ?? "linux"
        architecture = root["architecture"]?.stringValue ?? "amd64"
        variant = root["variant"]?.stringValue
        created = root["created"]?.stringValue
        author = root["author"]?.stringValue
        guard let c = root["config"], c.objectValue != nil else { return }
        hasRunConfig = true
        user = c["User"]?.stringValue ?? ""
        env = Self.strings(c["Env"])
        entrypoint = Self.strings(c["Entrypoint"])
        cmd = Self.strings(c["Cmd"])
        workingDir = c["WorkingDir"]?.stringValue ?? ""
        exposedPorts = c["ExposedPorts"]?.objectValue?.keys ?? []
        volumes = c["Volumes"]?.objectValue?.keys ?? []
        for (k, v) in c["Labels"]?.objectValue ?? JSONObject() {
            if let s = v.stringValue { labels[k] = s }
        }
    }

    private static func strings(_ v: JSONValue?) -> [String] {
        v?.arrayValue?.compactMap(\.stringValue) ?? []
    }
}

/// Docker config → appc image manifest (appc-docker-cni.md §7.4, with its "Do:" notes).
public enum DockerManifestMapper {
    public static let annotationPrefix = "appc.io/docker/"

    /// What the manifest records about where the image came from.
    public struct Origin: Sendable {
        public var originalName: String
        public var registry: String
        public var repository: String
        public var tag: String?
        /// sha256 of the config blob: the true Docker image ID.
        public var imageID: String
        public var manifestHash: String?
        public var aciName: String

        public init(originalName: String, registry: String, repository: String, tag: String?, imageID: String, manifestHash: String?, aciName: String) {
            self.originalName = originalName
            self.registry = registry
            self.repository = repository
            self.tag = tag
            self.imageID = imageID
            self.manifestHash = manifestHash
            self.aciName = aciName
        }
    }

    public static func manifest(config: DockerImageConfig, origin: Origin) throws -> ImageManifest {
        var labels: [Label] = []
        if let tag = origin.tag { labels.append(Label(name: "version", value: tag)) }
        let (os, arch) = try appcPlatform(os: config.os, arch: config.architecture, variant: config.variant)
        labels.append(Label(name: "os", value: os))
        labels.append(Label(name: "arch", value: arch))

        var ann: [Annotation] = [
            Annotation(name: annotationPrefix + "originalname", value: origin.originalName),
            Annotation(name: annotationPrefix + "registryurl", value: origin.registry),
            Annotation(name: annotationPrefix + "repository", value: origin.repository),
            Annotation(name: annotationPrefix + "imageid", value: origin.imageID),
        ]
        if let tag = origin.tag { ann.append(Annotation(name: annotationPrefix + "tag", value: tag)) }
        if let h = origin.manifestHash { ann.append(Annotation(name: annotationPrefix + "manifesthash", value: h)) }
        if !config.entrypoint.isEmpty {
            ann.append(Annotation(name: annotationPrefix + "entrypoint", value: JSONValue.array(config.entrypoint.map { .string($0) }).serializedString()))
        }
        if !config.cmd.isEmpty {
            ann.append(Annotation(name: annotationPrefix + "cmd", value: JSONValue.array(config.cmd.map { .string($0) }).serializedString()))
        }
        if let c = config.created, !c.isEmpty { ann.append(Annotation(name: "created", value: c)) }
        if let a = config.author, !a.isEmpty { ann.append(Annotation(name: "authors", value: a)) }

        let m = ImageManifest(
            name: origin.aciName, labels: labels, app: config.hasRunConfig ? try app(config) : nil,
            annotations: ann)
        do { try m.validate() } catch {
            throw RktError("converted image manifest for \(origin.originalName) is invalid", cause: error)
        }
        return m
    }

    /// Docker GOOS/GOARCH(+variant) → appc os/arch labels.
    public static func appcPlatform(os: String, arch: String, variant: String?) throws -> (String, String) {
        let a: String?
        switch arch {
        case "amd64": a = "amd64"
        case "386": a = "i386"
        case "arm64": a = "aarch64"
        case "arm": a = variant == "v7" ? "armv7l" : (variant == "v6" || variant == nil ? "armv6l" : nil)
        case "ppc64le": a = "ppc64le"
        case "ppc64": a = "ppc64"
        case "s390x": a = "s390x"
        default: a = nil
        }
        guard os == "linux", let a else {
            let v = variant.map { "/\($0)" } ?? ""
            throw RktError("unsupported docker platform \(os)/\(arch)\(v)")
        }
        return (os, a)
    }

    static func app(_ c: DockerImageConfig) throws -> App {
        var app = App(exec: c.entrypoint + c.cmd)
        // User: "" → root; "u:g" as given; "u" alone → see below.
        if c.user.isEmpty {
            app.user = "0"; app.group = "0"
        } else if let colon = c.user.firstIndex(of: ":") {
            app.user = String(c.user[..<colon])
            app.group = String(c.user[c.user.index(after: colon)...])
            if app.user.isEmpty { app.user = "0" }
            if app.group.isEmpty { app.group = "0" }
        } else {
            app.user = c.user
            // NEEDS: run-time primary-group lookup from /etc/passwd in the stage1 (appc-docker-cni.md
            // §7.4 "Do:"). Until then follow docker2aci: group = user.
            app.group = c.user
        }
        var env: [EnvironmentVariable] = []
        for kv in c.env {
            guard let eq = kv.firstIndex(of: "=") else { continue }
            let name = String(kv[..<eq]), value = String(kv[kv.index(after: eq)...])
            guard EnvironmentVariable.isValidName(name) else {
                throw RktError("invalid environment variable \"\(name)\" in image config")
            }
            if let i = env.firstIndex(where: { $0.name == name }) { env[i].value = value } else {
                env.append(EnvironmentVariable(name: name, value: value))
            }
        }
        app.environment = env
        if !c.workingDir.isEmpty {
            guard c.workingDir.hasPrefix("/") else {
                throw RktError("working directory \"\(c.workingDir)\" in image config is not absolute")
            }
            app.workingDirectory = c.workingDir
        }
        app.mountPoints = try mountPoints(c.volumes)
        app.ports = try ports(c.exposedPorts)
        app.userLabels = c.labels
        return app
    }

    /// `/var/tmp` → `volume-var-tmp`; clashes get `-<n>`; sorted by name.
    static func mountPoints(_ volumes: [String]) throws -> [MountPoint] {
        var used: Set<String> = []
        var out: [MountPoint] = []
        for path in volumes.sorted() {
            let base = try ACName.sanitize("volume/\(path)")
            var name = base
            var n = 1
            while used.contains(name) { name = "\(base)-\(n)"; n += 1 }
            used.insert(name)
            out.append(MountPoint(name: name, path: path, readOnly: false))
        }
        return out.sorted { $0.name < $1.name }
    }

    /// `80/tcp` → port `80-tcp`; a range `8000-8010/tcp` becomes one port with a count.
    static func ports(_ keys: [String]) throws -> [Port] {
        var out: [Port] = []
        for key in keys {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            let proto = parts.count > 1 ? parts[1] : "tcp"
            let nums = parts.first?.split(separator: "-", maxSplits: 1).compactMap { Int($0) } ?? []
            guard let first = nums.first, (1...65535).contains(first),
                  nums.count == (parts.first?.contains("-") == true ? 2 : 1) else {
                throw RktError("error parsing port \"\(key)\" in image config")
            }
            let last = nums.count == 2 ? nums[1] : first
            guard last >= first, last <= 65535 else { throw RktError("error parsing port \"\(key)\" in image config") }
            out.append(Port(name: try ACName.sanitize(key), protocol: proto, port: first, count: last - first + 1))
        }
        return out.sorted { $0.name < $1.name }
    }
}
