import RktJSON

/// The image manifest (`manifest` at the top of an ACI; appc spec/aci.md). Decoding validates
/// the whole manifest; `validate()` does the same for one built in code.
public struct ImageManifest: Codable, Sendable, Equatable {
    public var acKind: String
    public var acVersion: String
    public var name: String
    public var labels: [Label]
    public var app: App?
    public var dependencies: [Dependency]
    public var pathWhitelist: [String]
    public var annotations: [Annotation]

    public init(
        name: String, labels: [Label] = [], app: App? = nil, dependencies: [Dependency] = [],
        pathWhitelist: [String] = [], annotations: [Annotation] = [], acVersion: String = AppcVersion.current
    ) {
        self.acKind = ACKind.imageManifest
        self.acVersion = acVersion
        self.name = name
        self.labels = labels
        self.app = app
        self.dependencies = dependencies
        self.pathWhitelist = pathWhitelist
        self.annotations = annotations
    }

    enum CodingKeys: String, CodingKey {
        case acKind, acVersion, name, labels, app, annotations, dependencies, pathWhitelist
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        acKind = try c.decodeIfPresent(String.self, forKey: .acKind) ?? ""
        acVersion = try c.decodeIfPresent(String.self, forKey: .acVersion) ?? ""
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        labels = try c.decodeIfPresent([Label].self, forKey: .labels) ?? []
        app = try c.decodeIfPresent(App.self, forKey: .app)
        annotations = try c.decodeIfPresent([Annotation].self, forKey: .annotations) ?? []
        dependencies = try c.decodeIfPresent([Dependency].self, forKey: .dependencies) ?? []
        pathWhitelist = try c.decodeIfPresent([String].self, forKey: .pathWhitelist) ?? []
        // Children (app) validated themselves while decoding.
        try checkSelf(at: SchemaPath.of(decoder))
    }

    /// Go field order, `omitempty` on everything after `name`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(acKind, forKey: .acKind)
        try c.encode(acVersion, forKey: .acVersion)
        try c.encode(name, forKey: .name)
        if !labels.isEmpty { try c.encode(labels, forKey: .labels) }
        try c.encodeIfPresent(app, forKey: .app)
        if !annotations.isEmpty { try c.encode(annotations, forKey: .annotations) }
        if !dependencies.isEmpty { try c.encode(dependencies, forKey: .dependencies) }
        if !pathWhitelist.isEmpty { try c.encode(pathWhitelist, forKey: .pathWhitelist) }
    }

    /// Validates the manifest and everything in it; errors name the field path.
    public func validate() throws {
        try checkSelf(at: "")
        try app?.validate(at: "app")
    }

    func checkSelf(at base: String) throws {
        try ACKind.validate(acKind, expected: ACKind.imageManifest)
        try ACVersion.validate(acVersion, path: SchemaPath.field(base, "acVersion"))
        guard !name.isEmpty else { throw schemaError(SchemaPath.field(base, "name"), "name must be set") }
        try ACIdentifier.validate(name, path: SchemaPath.field(base, "name"))
        try LabelRules.validate(labels, path: SchemaPath.field(base, "labels"))
        try AnnotationRules.validate(annotations, path: SchemaPath.field(base, "annotations"))
        for (i, d) in dependencies.enumerated() {
            try d.validate(at: SchemaPath.index(SchemaPath.field(base, "dependencies"), i))
        }
        let wl = SchemaPath.field(base, "pathWhitelist")
        for (i, p) in pathWhitelist.enumerated() where !isSafeAbsolutePath(p) {
            throw schemaError(SchemaPath.index(wl, i), "\"\(p)\" must be an absolute path without . or .. components")
        }
        if let (i, p) = firstDuplicate(pathWhitelist, by: { $0 }) {
            throw schemaError(SchemaPath.index(wl, i), "duplicate path \"\(p)\"")
        }
    }
}

/// An image this one is layered on (appc dependencies).
public struct Dependency: Codable, Sendable, Equatable {
    public var imageName: String
    public var imageID: String?
    public var labels: [Label]
    public var size: UInt64?

    public init(imageName: String, imageID: String? = nil, labels: [Label] = [], size: UInt64? = nil) {
        self.imageName = imageName
        self.imageID = imageID
        self.labels = labels
        self.size = size
    }

    enum CodingKeys: String, CodingKey { case imageName, imageID, labels, size }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        imageName = try c.decodeIfPresent(String.self, forKey: .imageName) ?? ""
        imageID = try c.decodeIfPresent(String.self, forKey: .imageID)
        labels = try c.decodeIfPresent([Label].self, forKey: .labels) ?? []
        size = try c.decodeIfPresent(UInt64.self, forKey: .size)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(imageName, forKey: .imageName)
        try c.encodeIfPresent(imageID, forKey: .imageID)
        if !labels.isEmpty { try c.encode(labels, forKey: .labels) }
        if let size, size != 0 { try c.encode(size, forKey: .size) }
    }

    func validate(at path: String) throws {
        guard !imageName.isEmpty else { throw schemaError(SchemaPath.field(path, "imageName"), "imageName cannot be empty") }
        try ACIdentifier.validate(imageName, path: SchemaPath.field(path, "imageName"))
        if let imageID { try ImageID.validate(imageID, path: SchemaPath.field(path, "imageID")) }
        try LabelRules.validate(labels, path: SchemaPath.field(path, "labels"))
    }
}
