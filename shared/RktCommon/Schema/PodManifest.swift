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

    enum CodingKeys: String, CodingKey {
        case acVersion, acKind, apps, volumes, isolators, annotations, ports, userAnnotations, userLabels
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        acVersion = try c.decodeIfPresent(String.self, forKey: .acVersion) ?? ""
        acKind = try c.decodeIfPresent(String.self, forKey: .acKind) ?? ""
        apps = try c.decodeIfPresent([RuntimeApp].self, forKey: .apps) ?? []
        volumes = try c.decodeIfPresent([Volume].self, forKey: .volumes) ?? []
        isolators = try c.decodeIfPresent([Isolator].self, forKey: .isolators) ?? []
        annotations = try c.decodeIfPresent([Annotation].self, forKey: .annotations) ?? []
        ports = try c.decodeIfPresent([ExposedPort].self, forKey: .ports) ?? []
        userAnnotations = try c.decodeIfPresent([String: String].self, forKey: .userAnnotations) ?? [:]
        userLabels = try c.decodeIfPresent([String: String].self, forKey: .userLabels) ?? [:]
        try checkSelf(at: SchemaPath.of(decoder))
    }

    /// Go field order; the lists are always present (rkt writes `[]`, never omits them).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(acVersion, forKey: .acVersion)
        try c.encode(acKind, forKey: .acKind)
        try c.encode(apps, forKey: .apps)
        try c.encode(volumes, forKey: .volumes)
        try c.encode(isolators, forKey: .isolators)
        try c.encode(annotations, forKey: .annotations)
        try c.encode(ports, forKey: .ports)
        try encodeStringMap(userAnnotations, &c, forKey: .userAnnotations)
        try encodeStringMap(userLabels, &c, forKey: .userLabels)
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

    enum CodingKeys: String, CodingKey { case name, image, app, readOnlyRootFS, mounts, annotations }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        image = try c.decodeIfPresent(RuntimeImage.self, forKey: .image) ?? RuntimeImage(id: "")
        app = try c.decodeIfPresent(App.self, forKey: .app)
        readOnlyRootFS = try c.decodeIfPresent(Bool.self, forKey: .readOnlyRootFS)
        mounts = try c.decodeIfPresent([Mount].self, forKey: .mounts) ?? []
        annotations = try c.decodeIfPresent([Annotation].self, forKey: .annotations) ?? []
        try checkSelf(at: SchemaPath.of(decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(image, forKey: .image)
        try c.encodeIfPresent(app, forKey: .app)
        if readOnlyRootFS == true { try c.encode(true, forKey: .readOnlyRootFS) }
        if !mounts.isEmpty { try c.encode(mounts, forKey: .mounts) }
        if !annotations.isEmpty { try c.encode(annotations, forKey: .annotations) }
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

    enum CodingKeys: String, CodingKey { case name, id, labels }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        id = try c.decodeIfPresent(String.self, forKey: .id) ?? ""
        labels = try c.decodeIfPresent([Label].self, forKey: .labels) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encode(id, forKey: .id)
        if !labels.isEmpty { try c.encode(labels, forKey: .labels) }
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

    enum CodingKeys: String, CodingKey { case volume, path, appVolume }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        volume = try c.decodeIfPresent(String.self, forKey: .volume) ?? ""
        path = try c.decodeIfPresent(String.self, forKey: .path) ?? ""
        appVolume = try c.decodeIfPresent(Volume.self, forKey: .appVolume)
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

    enum CodingKeys: String, CodingKey { case name, hostPort, hostIP, podPort }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        hostPort = try c.decodeIfPresent(Int.self, forKey: .hostPort) ?? 0
        let ip = try c.decodeIfPresent(String.self, forKey: .hostIP)
        hostIP = ip?.isEmpty == true ? nil : ip
        podPort = try c.decodeIfPresent(Port.self, forKey: .podPort)
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
