import RktJSON

/// The pod manifest (`pod` in the pod directory; appc spec/pods.md, schema/pod.go).
public struct PodManifest: Codable, Sendable, Equatable {
    public var acVersion: String
    public var acKind: String
    public var apps: [RuntimeApp]
    public var volumes: [Volume]
    public var isolators: [Isolator]
    public var annotations: [Annotation]
    public var ports: [ExposedPort]
    public var userAnnotations: [String: String]
    public var userLabels: [String: String]

    public init(
        apps: [RuntimeApp] = [], volumes: [Volume] = [], isolators: [Isolator] = [], annotations: [Annotation] = [],
        ports: [ExposedPort] = [], userAnnotations: [String: String] = [:], userLabels: [String: String] = [:],
        acVersion: String = AppcVersion.current
    ) {
        self.acVersion = acVersion
        self.acKind = ACKind.podManifest
        self.apps = apps
        self.volumes = volumes
        self.isolators = isolators
        self.annotations = annotations
        self.ports = ports
        self.userAnnotations = userAnnotations
        self.userLabels = userLabels
    }

    public init(from decoder: any Decoder) throws { try self.init(json: JSONObjectReader(decoder)) }

    /// Decoded by hand, not through Codable containers (see `JSONObjectReader`).
    init(json r: JSONObjectReader) throws {
        acVersion = try r.string("acVersion") ?? ""
        acKind = try r.string("acKind") ?? ""
        apps = try r.objects("apps", RuntimeApp.init(json:)) ?? []
        volumes = try r.objects("volumes", Volume.init(json:)) ?? []
        isolators = try r.objects("isolators", Isolator.init(json:)) ?? []
        annotations = try r.objects("annotations", Annotation.init(json:)) ?? []
        ports = try r.objects("ports", ExposedPort.init(json:)) ?? []
        userAnnotations = try r.stringMap("userAnnotations") ?? [:]
        userLabels = try r.stringMap("userLabels") ?? [:]
        try checkSelf(at: r.path)
    }

    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    /// Go field order; the lists are always present (rkt writes `[]`, never omits them).
    public var json: JSONValue {
        var o = JSONObject()
        o["acVersion"] = .string(acVersion)
        o["acKind"] = .string(acKind)
        o["apps"] = .array(apps.map(\.json))
        o["volumes"] = .array(volumes.map(\.json))
        o["isolators"] = .array(isolators.map(\.json))
        o["annotations"] = .array(annotations.map(\.json))
        o["ports"] = .array(ports.map(\.json))
        o.setStringMap("userAnnotations", userAnnotations)
        o.setStringMap("userLabels", userLabels)
        return .object(o)
    }

    /// Validates the whole manifest; errors name the field path (`apps[1].name: …`).
    public func validate() throws {
        for (i, a) in apps.enumerated() { try a.validate(at: SchemaPath.index("apps", i)) }
        for (i, v) in volumes.enumerated() { try v.validate(at: SchemaPath.index("volumes", i)) }
        try checkSelf(at: "")
    }

    /// Pod-level rules; the apps and volumes check themselves while decoding.
    func checkSelf(at base: String) throws {
        func f(_ name: String) -> String { SchemaPath.field(base, name) }
        try ACKind.validate(acKind, expected: ACKind.podManifest)
        try ACVersion.validate(acVersion, path: f("acVersion"))
        if let (i, n) = firstDuplicate(apps, by: \.name) {
            throw schemaError(SchemaPath.index(f("apps"), i), "duplicate apps of name \"\(n)\"")
        }
        if let (i, n) = firstDuplicate(volumes, by: \.name) {
            throw schemaError(SchemaPath.index(f("volumes"), i), "duplicate volume name \"\(n)\"")
        }
        try IsolatorRules.validatePodIsolators(isolators, path: f("isolators"))
        try AnnotationRules.validate(annotations, path: f("annotations"))
        for (i, p) in ports.enumerated() { try p.validate(at: SchemaPath.index(f("ports"), i)) }
    }

    /// The app called `name`, if any.
    public func app(named name: String) -> RuntimeApp? { apps.first { $0.name == name } }
}

/// One `apps[]` entry of a pod manifest.
public struct RuntimeApp: Codable, Sendable, Equatable {
    public var name: String
    public var image: RuntimeImage
    public var app: App?
    public var readOnlyRootFS: Bool?
    public var mounts: [Mount]
    public var annotations: [Annotation]

    public init(
        name: String, image: RuntimeImage, app: App? = nil, readOnlyRootFS: Bool? = nil, mounts: [Mount] = [],
        annotations: [Annotation] = []
    ) {
        self.name = name
        self.image = image
        self.app = app
        self.readOnlyRootFS = readOnlyRootFS
        self.mounts = mounts
        self.annotations = annotations
    }

    public init(from decoder: any Decoder) throws { try self.init(json: JSONObjectReader(decoder)) }

    init(json r: JSONObjectReader) throws {
        name = try r.string("name") ?? ""
        image = try r.object("image", RuntimeImage.init(json:)) ?? RuntimeImage(id: "")
        app = try r.object("app", App.init(json:))
        readOnlyRootFS = try r.bool("readOnlyRootFS")
        mounts = try r.objects("mounts", Mount.init(json:)) ?? []
        annotations = try r.objects("annotations", Annotation.init(json:)) ?? []
        try checkSelf(at: r.path)
    }

    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    public var json: JSONValue {
        var o = JSONObject()
        o["name"] = .string(name)
        o["image"] = image.json
        o.set("app", app?.json)
        if readOnlyRootFS == true { o["readOnlyRootFS"] = .bool(true) }
        if !mounts.isEmpty { o["mounts"] = .array(mounts.map(\.json)) }
        if !annotations.isEmpty { o["annotations"] = .array(annotations.map(\.json)) }
        return .object(o)
    }

    public func validate(at path: String) throws {
        try app?.validate(at: SchemaPath.field(path, "app"))
        for (i, m) in mounts.enumerated() {
            try m.appVolume?.validate(at: SchemaPath.field(SchemaPath.index(SchemaPath.field(path, "mounts"), i), "appVolume"))
        }
        try checkSelf(at: path)
    }

    func checkSelf(at path: String) throws {
        func f(_ name: String) -> String { SchemaPath.field(path, name) }
        try ACName.validate(name, path: f("name"))
        try image.validate(at: f("image"))
        for (i, m) in mounts.enumerated() { try m.validate(at: SchemaPath.index(f("mounts"), i)) }
        try AnnotationRules.validate(annotations, path: f("annotations"))
    }
}

/// The image a runtime app runs. `id` is required before execution ("no image ID for app X"),
/// so it is not enforced here: stage0 fills it in while preparing.
public struct RuntimeImage: Codable, Sendable, Equatable {
    public var name: String?
    public var id: String
    public var labels: [Label]

    public init(name: String? = nil, id: String, labels: [Label] = []) {
        self.name = name
        self.id = id
        self.labels = labels
    }

    public init(from decoder: any Decoder) throws { try self.init(json: JSONObjectReader(decoder)) }

    init(json r: JSONObjectReader) throws {
        name = try r.string("name")
        id = try r.string("id") ?? ""
        labels = try r.objects("labels", Label.init(json:)) ?? []
    }

    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    public var json: JSONValue {
        var o = JSONObject()
        o.set("name", name.map { .string($0) })
        o["id"] = .string(id)
        if !labels.isEmpty { o["labels"] = .array(labels.map(\.json)) }
        return .object(o)
    }

    func validate(at path: String) throws {
        if let name { try ACIdentifier.validate(name, path: SchemaPath.field(path, "name")) }
        if !id.isEmpty { try ImageID.validate(id, path: SchemaPath.field(path, "id")) }
        try LabelRules.validate(labels, path: SchemaPath.field(path, "labels"))
    }
}

/// Maps a volume onto a path inside one app.
public struct Mount: Codable, Sendable, Equatable {
    public var volume: String
    public var path: String
    public var appVolume: Volume?

    public init(volume: String, path: String, appVolume: Volume? = nil) {
        self.volume = volume
        self.path = path
        self.appVolume = appVolume
    }

    public init(from decoder: any Decoder) throws { try self.init(json: JSONObjectReader(decoder)) }

    init(json r: JSONObjectReader) throws {
        volume = try r.string("volume") ?? ""
        path = try r.string("path") ?? ""
        appVolume = try r.object("appVolume", Volume.init(json:))
    }

    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    /// What Codable's synthesized encoding wrote: every field, `appVolume` when set.
    public var json: JSONValue {
        var o = JSONObject()
        o["volume"] = .string(volume)
        o["path"] = .string(path)
        o.set("appVolume", appVolume?.json)
        return .object(o)
    }

    func validate(at p: String) throws {
        guard !volume.isEmpty else { throw schemaError(SchemaPath.field(p, "volume"), "volume must be set") }
        try ACName.validate(volume, path: SchemaPath.field(p, "volume"))
        guard !path.isEmpty else { throw schemaError(SchemaPath.field(p, "path"), "path must be set") }
    }
}

/// A host port forwarded to an app port (`ports[]` of the pod manifest).
public struct ExposedPort: Codable, Sendable, Equatable {
    public var name: String
    public var hostPort: Int
    public var hostIP: String?
    public var podPort: Port?

    public init(name: String, hostPort: Int, hostIP: String? = nil, podPort: Port? = nil) {
        self.name = name
        self.hostPort = hostPort
        self.hostIP = hostIP
        self.podPort = podPort
    }

    public init(from decoder: any Decoder) throws { try self.init(json: JSONObjectReader(decoder)) }

    init(json r: JSONObjectReader) throws {
        name = try r.string("name") ?? ""
        hostPort = try r.int("hostPort") ?? 0
        let ip = try r.string("hostIP")
        hostIP = ip?.isEmpty == true ? nil : ip
        podPort = try r.object("podPort", Port.init(json:))
    }

    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    /// What Codable's synthesized encoding wrote.
    public var json: JSONValue {
        var o = JSONObject()
        o["name"] = .string(name)
        o["hostPort"] = .int(Int64(hostPort))
        o.set("hostIP", hostIP.map { .string($0) })
        o.set("podPort", podPort?.json)
        return .object(o)
    }

    func validate(at p: String) throws {
        try ACName.validate(name, path: SchemaPath.field(p, "name"))
        guard (1...65535).contains(hostPort) else {
            throw schemaError(SchemaPath.field(p, "hostPort"), "hostPort must be in 1-65535 range")
        }
        if let hostIP, !Self.isIPv4(hostIP) {
            throw schemaError(SchemaPath.field(p, "hostIP"), "\"\(hostIP)\" is not an IPv4 address")
        }
        try podPort?.validate(at: SchemaPath.field(p, "podPort"))
    }

    /// Dotted quad, four decimal octets without leading zeros.
    public static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { p in
            guard !p.isEmpty, p.count <= 3, p.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), p == "0" || !p.hasPrefix("0"),
                let n = Int(p)
            else { return false }
            return n <= 255
        }
    }
}
