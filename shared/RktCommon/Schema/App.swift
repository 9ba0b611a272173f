import RktJSON

/// The `app` object of an image manifest or a pod's runtime app (appc schema/types/app.go).
public struct App: Codable, Sendable, Equatable {
    public var exec: [String]
    public var user: String
    public var group: String
    public var supplementaryGIDs: [Int]
    public var workingDirectory: String?
    public var environment: [EnvironmentVariable]
    public var eventHandlers: [EventHandler]
    public var mountPoints: [MountPoint]
    public var ports: [Port]
    public var isolators: [Isolator]
    public var userAnnotations: [String: String]
    public var userLabels: [String: String]

    public init(
        exec: [String] = [], user: String = "0", group: String = "0", supplementaryGIDs: [Int] = [],
        workingDirectory: String? = nil, environment: [EnvironmentVariable] = [], eventHandlers: [EventHandler] = [],
        mountPoints: [MountPoint] = [], ports: [Port] = [], isolators: [Isolator] = [],
        userAnnotations: [String: String] = [:], userLabels: [String: String] = [:]
    ) {
        self.exec = exec
        self.user = user
        self.group = group
        self.supplementaryGIDs = supplementaryGIDs
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.eventHandlers = eventHandlers
        self.mountPoints = mountPoints
        self.ports = ports
        self.isolators = isolators
        self.userAnnotations = userAnnotations
        self.userLabels = userLabels
    }

    public init(from decoder: any Decoder) throws { try self.init(json: JSONObjectReader(decoder)) }

    /// Decoded by hand, not through Codable containers (see `JSONObjectReader`).
    init(json r: JSONObjectReader) throws {
        exec = try r.strings("exec") ?? []
        eventHandlers = try r.objects("eventHandlers", EventHandler.init(json:)) ?? []
        user = try r.string("user") ?? ""
        group = try r.string("group") ?? ""
        // The spec's example spells it `supplementaryGids`; the Go field is `supplementaryGIDs`.
        supplementaryGIDs = try r.ints("supplementaryGIDs") ?? r.ints("supplementaryGids") ?? []
        let wd = try r.string("workingDirectory")
        workingDirectory = wd?.isEmpty == true ? nil : wd
        environment = try r.objects("environment", EnvironmentVariable.init(json:)) ?? []
        mountPoints = try r.objects("mountPoints", MountPoint.init(json:)) ?? []
        ports = try r.objects("ports", Port.init(json:)) ?? []
        isolators = try r.objects("isolators", Isolator.init(json:)) ?? []
        userAnnotations = try r.stringMap("userAnnotations") ?? [:]
        userLabels = try r.stringMap("userLabels") ?? [:]
        try checkSelf(at: r.path)
    }

    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    public var json: JSONValue {
        var o = JSONObject()
        o["exec"] = .strings(exec)
        if !eventHandlers.isEmpty { o["eventHandlers"] = .array(eventHandlers.map(\.json)) }
        o["user"] = .string(user)
        o["group"] = .string(group)
        if !supplementaryGIDs.isEmpty { o["supplementaryGIDs"] = .ints(supplementaryGIDs) }
        if let workingDirectory, !workingDirectory.isEmpty { o["workingDirectory"] = .string(workingDirectory) }
        if !environment.isEmpty { o["environment"] = .array(environment.map(\.json)) }
        if !mountPoints.isEmpty { o["mountPoints"] = .array(mountPoints.map(\.json)) }
        if !ports.isEmpty { o["ports"] = .array(ports.map(\.json)) }
        if !isolators.isEmpty { o["isolators"] = .array(isolators.map(\.json)) }
        o.setStringMap("userAnnotations", userAnnotations)
        o.setStringMap("userLabels", userLabels)
        return .object(o)
    }

    /// Validates the app; `path` prefixes error messages (`app`, `apps[0].app`).
    public func validate(at path: String = "app") throws {
        try checkSelf(at: path)
    }

    /// All App rules. Members are plain data, so this covers the whole subtree.
    func checkSelf(at path: String) throws {
        func f(_ name: String) -> String { SchemaPath.field(path, name) }
        guard !user.isEmpty else { throw schemaError(f("user"), "user is required") }
        guard !group.isEmpty else { throw schemaError(f("group"), "group is required") }
        for (i, g) in supplementaryGIDs.enumerated() where g < 0 || g > 4_294_967_294 {
            throw schemaError(SchemaPath.index(f("supplementaryGIDs"), i), "invalid gid \(g)")
        }
        if let wd = workingDirectory, !wd.isEmpty, !isAbsolutePath(wd) {
            throw schemaError(f("workingDirectory"), "workingDirectory must be an absolute path")
        }
        for (i, e) in eventHandlers.enumerated() {
            try e.validate(at: SchemaPath.index(f("eventHandlers"), i))
        }
        if let (i, n) = firstDuplicate(eventHandlers, by: \.name) {
            throw schemaError(SchemaPath.index(f("eventHandlers"), i), "only one eventHandler of name \"\(n)\" allowed")
        }
        for (i, e) in environment.enumerated() {
            try e.validate(at: SchemaPath.index(f("environment"), i))
        }
        if let (i, n) = firstDuplicate(environment, by: \.name) {
            throw schemaError(SchemaPath.index(f("environment"), i), "duplicate environment variable of name \"\(n)\"")
        }
        for (i, m) in mountPoints.enumerated() {
            try m.validate(at: SchemaPath.index(f("mountPoints"), i))
        }
        if let (i, n) = firstDuplicate(mountPoints, by: \.name) {
            throw schemaError(SchemaPath.index(f("mountPoints"), i), "duplicate mountPoint name \"\(n)\"")
        }
        for (i, p) in ports.enumerated() {
            try p.validate(at: SchemaPath.index(f("ports"), i))
        }
        if let (i, n) = firstDuplicate(ports, by: \.name) {
            throw schemaError(SchemaPath.index(f("ports"), i), "duplicate port name \"\(n)\"")
        }
        try IsolatorRules.validateAppIsolators(isolators, path: f("isolators"))
    }

    /// The value of environment variable `name`, if set.
    public func env(_ name: String) -> String? { environment.first { $0.name == name }?.value }
}

public struct EnvironmentVariable: NameValuePair, Codable, Sendable, Equatable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// `^[A-Za-z_][A-Za-z_0-9.-]*$`
    public static func isValidName(_ n: String) -> Bool {
        let u = Array(n.utf8)
        guard let first = u.first else { return false }
        func letter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == UInt8(ascii: "_") }
        guard letter(first) else { return false }
        return u.dropFirst().allSatisfy { letter($0) || ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    func validate(at path: String) throws {
        guard Self.isValidName(name) else {
            throw schemaError(SchemaPath.field(path, "name"), "environment variable does not have valid identifier \"\(name)\"")
        }
    }
}

public struct EventHandler: Codable, Sendable, Equatable {
    public static let preStart = "pre-start"
    public static let postStop = "post-stop"

    public var name: String
    public var exec: [String]

    public init(name: String, exec: [String]) {
        self.name = name
        self.exec = exec
    }

    public init(from decoder: any Decoder) throws { try self.init(json: JSONObjectReader(decoder)) }

    init(json r: JSONObjectReader) throws {
        name = try r.string("name") ?? ""
        exec = try r.strings("exec") ?? []
    }

    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    public var json: JSONValue { ["name": .string(name), "exec": .strings(exec)] }

    func validate(at path: String) throws {
        switch name {
        case Self.preStart, Self.postStop: return
        case "": throw schemaError(SchemaPath.field(path, "name"), "eventHandler \"name\" cannot be empty")
        default: throw schemaError(SchemaPath.field(path, "name"), "bad eventHandler \"\(name)\" (must be \"pre-start\" or \"post-stop\")")
        }
    }
}

public struct MountPoint: Codable, Sendable, Equatable {
    public var name: String
    public var path: String
    public var readOnly: Bool

    public init(name: String, path: String, readOnly: Bool = false) {
        self.name = name
        self.path = path
        self.readOnly = readOnly
    }

    public init(from decoder: any Decoder) throws { try self.init(json: JSONObjectReader(decoder)) }

    init(json r: JSONObjectReader) throws {
        name = try r.string("name") ?? ""
        path = try r.string("path") ?? ""
        readOnly = try r.bool("readOnly") ?? false
    }

    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    public var json: JSONValue {
        var o = JSONObject()
        o["name"] = .string(name)
        o["path"] = .string(path)
        if readOnly { o["readOnly"] = .bool(true) }
        return .object(o)
    }

    func validate(at p: String) throws {
        try ACName.validate(name, path: SchemaPath.field(p, "name"))
        guard isAbsolutePath(path) else {
            throw schemaError(SchemaPath.field(p, "path"), "mountPoint path \"\(path)\" must be an absolute path")
        }
    }
}

public struct Port: Codable, Sendable, Equatable {
    public var name: String
    public var `protocol`: String
    public var port: Int
    public var count: Int
    public var socketActivated: Bool

    public init(name: String, protocol: String, port: Int, count: Int = 1, socketActivated: Bool = false) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
        self.count = count
        self.socketActivated = socketActivated
    }

    public init(from decoder: any Decoder) throws { try self.init(json: JSONObjectReader(decoder)) }

    init(json r: JSONObjectReader) throws {
        name = try r.string("name") ?? ""
        `protocol` = try r.string("protocol") ?? ""
        port = try r.int("port") ?? 0
        let n = try r.int("count") ?? 0
        count = n == 0 ? 1 : n  // the lib defaults 0 to 1
        socketActivated = try r.bool("socketActivated") ?? false
    }

    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    /// What Codable's synthesized encoding wrote: every field.
    public var json: JSONValue {
        ["name": .string(name), "protocol": .string(`protocol`), "port": .int(Int64(port)), "count": .int(Int64(count)),
         "socketActivated": .bool(socketActivated)]
    }

    func validate(at p: String) throws {
        try ACName.validate(name, path: SchemaPath.field(p, "name"))
        guard (1...65535).contains(port) else { throw schemaError(SchemaPath.field(p, "port"), "port must be in 1-65535 range") }
        guard count >= 1 else { throw schemaError(SchemaPath.field(p, "count"), "count must be at least 1") }
        guard port + count - 1 <= 65535 else {
            throw schemaError(SchemaPath.field(p, "count"), "end of port range must be in 1-65535 range")
        }
    }
}
