import RktJSON

/// `rkt config` output (rkt: rkt/config/config.go `MarshalJSON`): `{"stage0":[…]}` with one
/// `auth` entry per domain, one `dockerAuth` entry per registry, then `paths` and `stage1`.
/// Go iterates maps in random order; we sort by domain/registry so the output is stable.
extension RktConfig {
    public var jsonValue: JSONValue {
        var stage0: [JSONValue] = []
        for domain in authPerHost.keys.sorted() {
            guard let auth = authPerHost[domain] else { continue }
            stage0.append(.object(JSONObject([
                ("rktVersion", "v1"), ("rktKind", "auth"), ("domains", [.string(domain)]),
                ("type", .string(auth.typeName)), ("credentials", auth.credentialsJSON),
            ])))
        }
        for registry in dockerCredentialsPerRegistry.keys.sorted() {
            guard let creds = dockerCredentialsPerRegistry[registry] else { continue }
            stage0.append(.object(JSONObject([
                ("rktVersion", "v1"), ("rktKind", "dockerAuth"), ("registries", [.string(registry)]),
                ("credentials", creds.jsonValue),
            ])))
        }
        stage0.append(.object(JSONObject([
            ("rktVersion", "v1"), ("rktKind", "paths"),
            ("data", .string(paths.dataDir)), ("stage1-images", .string(paths.stage1ImagesDir)),
        ])))
        stage0.append(.object(JSONObject([
            ("rktVersion", "v1"), ("rktKind", "stage1"),
            ("name", .string(stage1.name)), ("version", .string(stage1.version)),
            ("location", .string(stage1.location)),
        ])))
        return .object(JSONObject([("stage0", .array(stage0))]))
    }
}

extension BasicCredentials {
    var jsonValue: JSONValue {
        .object(JSONObject([("user", .string(user)), ("password", .string(password))]))
    }
}

extension AuthCredentials {
    var credentialsJSON: JSONValue {
        switch self {
        case .basic(let c): return c.jsonValue
        case .oauth(let token): return .object(JSONObject([("token", .string(token))]))
        case .aws(let c):
            var o = JSONObject([("accessKeyID", .string(c.accessKeyID)), ("secretAccessKey", .string(c.secretAccessKey))])
            if !c.awsRegion.isEmpty { o["awsRegion"] = .string(c.awsRegion) }
            return .object(o)
        }
    }
}
