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

    public init(from decoder: any Decoder) throws { try self.init(json: JSONObjectReader(decoder)) }

    /// Decoded by hand, not through Codable containers (see `JSONObjectReader`).
    init(json r: JSONObjectReader) throws {
        acKind = try r.string("acKind") ?? ""
        acVersion = try r.string("acVersion") ?? ""
        name = try r.string("name") ?? ""
        labels = try r.objects("labels", Label.init(json:)) ?? []
        app = try r.object("app", App.init(json:))
        annotations = try r.objects("annotations", Annotation.init(json:)) ?? []
        dependencies = try r.objects("dependencies", Dependency.init(json:)) ?? []
        pathWhitelist = try r.strings("pathWhitelist") ?? []
        // Children (app) validated themselves while decoding.
        try checkSelf(at: r.path)
    }

    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    /// Go field order, `omitempty` on everything after `name`.
    public var json: JSONValue {
        var o = JSONObject()
        o["acKind"] = .string(acKind)
        o["acVersion"] = .string(acVersion)
        o["name"] = .string(name)
        if !labels.isEmpty { o["labels"] = .array(labels.map(\.json)) }
        o.set("app", app?.json)
        if !annotations.isEmpty { o["annotations"] = .array(annotations.map(\.json)) }
        if !dependencies.isEmpty { o["dependencies"] = .array(dependencies.map(\.json)) }
        if !pathWhitelist.isEmpty { o["pathWhitelist"] = .strings(pathWhitelist) }
        return .object(o)
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

    public init(from decoder: any Decoder) throws { try self.init(json: JSONObjectReader(decoder)) }

    init(json r: JSONObjectReader) throws {
        imageName = try r.string("imageName") ?? ""
        imageID = try r.string("imageID")
        labels = try r.objects("labels", Label.init(json:)) ?? []
        size = try r.uint64("size")
    }

    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    public var json: JSONValue {
        var o = JSONObject()
        o["imageName"] = .string(imageName)
        o.set("imageID", imageID.map { .string($0) })
        if !labels.isEmpty { o["labels"] = .array(labels.map(\.json)) }
        if let size, size != 0 { o["size"] = .integer(size) }
        return .object(o)
    }

    func validate(at path: String) throws {
        guard !imageName.isEmpty else { throw schemaError(SchemaPath.field(path, "imageName"), "imageName cannot be empty") }
        try ACIdentifier.validate(imageName, path: SchemaPath.field(path, "imageName"))
        if let imageID { try ImageID.validate(imageID, path: SchemaPath.field(path, "imageID")) }
        try LabelRules.validate(labels, path: SchemaPath.field(path, "labels"))
    }
}
