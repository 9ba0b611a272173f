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

    enum CodingKeys: String, CodingKey {
        case exec, eventHandlers, user, group, supplementaryGIDs, supplementaryGids, workingDirectory
        case environment, mountPoints, ports, isolators, userAnnotations, userLabels
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        exec = try c.decodeIfPresent([String].self, forKey: .exec) ?? []
        eventHandlers = try c.decodeIfPresent([EventHandler].self, forKey: .eventHandlers) ?? []
        user = try c.decodeIfPresent(String.self, forKey: .user) ?? ""
        group = try c.decodeIfPresent(String.self, forKey: .group) ?? ""
        // The spec's example spells it `supplementaryGids`; the Go field is `supplementaryGIDs`.
        supplementaryGIDs =
            try c.decodeIfPresent([Int].self, forKey: .supplementaryGIDs)
            ?? c.decodeIfPresent([Int].self, forKey: .supplementaryGids) ?? []
        let wd = try c.decodeIfPresent(String.self, forKey: .workingDirectory)
        workingDirectory = wd?.isEmpty == true ? nil : wd
        environment = try c.decodeIfPresent([EnvironmentVariable].self, forKey: .environment) ?? []
        mountPoints = try c.decodeIfPresent([MountPoint].self, forKey: .mountPoints) ?? []
        ports = try c.decodeIfPresent([Port].self, forKey: .ports) ?? []
        isolators = try c.decodeIfPresent([Isolator].self, forKey: .isolators) ?? []
        userAnnotations = try c.decodeIfPresent([String: String].self, forKey: .userAnnotations) ?? [:]
        userLabels = try c.decodeIfPresent([String: String].self, forKey: .userLabels) ?? [:]
        try checkSelf(at: SchemaPath.of(decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(exec, forKey: .exec)
        if !eventHandlers.isEmpty { try c.encode(eventHandlers, forKey: .eventHandlers) }
        try c.encode(user, forKey: .user)
        try c.encode(group, forKey: .group)
        if !supplementaryGIDs.isEmpty { try c.encode(supplementaryGIDs, forKey: .supplementaryGIDs) }
        if let workingDirectory, !workingDirectory.isEmpty { try c.encode(workingDirectory, forKey: .workingDirectory) }
        if !environment.isEmpty { try c.encode(environment, forKey: .environment) }
        if !mountPoints.isEmpty { try c.encode(mountPoints, forKey: .mountPoints) }
        if !ports.isEmpty { try c.encode(ports, forKey: .ports) }
        if !isolators.isEmpty { try c.encode(isolators, forKey: .isolators) }
        try encodeStringMap(userAnnotations, &c, forKey: .userAnnotations)
        try encodeStringMap(userLabels, &c, forKey: .userLabels)
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

public struct EnvironmentVariable: Codable, Sendable, Equatable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    enum CodingKeys: String, CodingKey { case name, value }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        value = try c.decodeIfPresent(String.self, forKey: .value) ?? ""
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

    enum CodingKeys: String, CodingKey { case name, exec }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        exec = try c.decodeIfPresent([String].self, forKey: .exec) ?? []
    }

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

    enum CodingKeys: String, CodingKey { case name, path, readOnly }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        path = try c.decodeIfPresent(String.self, forKey: .path) ?? ""
        readOnly = try c.decodeIfPresent(Bool.self, forKey: .readOnly) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(path, forKey: .path)
        if readOnly { try c.encode(readOnly, forKey: .readOnly) }
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

    enum CodingKeys: String, CodingKey { case name, `protocol`, port, count, socketActivated }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        `protocol` = try c.decodeIfPresent(String.self, forKey: .protocol) ?? ""
        port = try c.decodeIfPresent(Int.self, forKey: .port) ?? 0
        let n = try c.decodeIfPresent(Int.self, forKey: .count) ?? 0
        count = n == 0 ? 1 : n  // the lib defaults 0 to 1
        socketActivated = try c.decodeIfPresent(Bool.self, forKey: .socketActivated) ?? false
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
