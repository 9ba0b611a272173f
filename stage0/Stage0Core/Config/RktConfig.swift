/// The merged stage0 configuration (rkt: rkt/config/config.go `Config`): what `auth.d`,
/// `paths.d` and `stage1.d` of the system, local and user directories add up to.
public struct RktConfig: Sendable, Equatable {
    /// HTTP credentials per host (`host` or `host:port`), used by fetch and discovery.
    public var authPerHost: [String: AuthCredentials] = [:]
    /// Docker registry credentials per registry host.
    public var dockerCredentialsPerRegistry: [String: BasicCredentials] = [:]
    public var paths = PathsConfig()
    public var stage1 = Stage1Config()

    public init() {}

    /// The `Authorization` (or other) headers to send to `host` (`host[:port]` as in the URL).
    public func headers(forHost host: String) -> [(String, String)] {
        guard let auth = authPerHost[host] else { return [] }
        return auth.headers
    }
}

public struct BasicCredentials: Sendable, Equatable {
    public var user: String
    public var password: String
    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }
}

public struct AWSCredentials: Sendable, Equatable {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var awsRegion: String
    public init(accessKeyID: String, secretAccessKey: String, awsRegion: String = "") {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.awsRegion = awsRegion
    }
}

/// One `auth` entry's credentials; the type decides which header it produces.
public enum AuthCredentials: Sendable, Equatable {
    case basic(BasicCredentials)
    case oauth(token: String)
    /// Accepted and printed by `rkt config`; SigV4 signing is not implemented, so no header is sent.
    case aws(AWSCredentials)

    public var typeName: String {
        switch self {
        case .basic: return "basic"
        case .oauth: return "oauth"
        case .aws: return "aws"
        }
    }

    public var headers: [(String, String)] {
        switch self {
        case .basic(let c):
            let raw = Array("\(c.user):\(c.password)".utf8)
            return [("Authorization", "Basic " + Base64.encode(raw))]
        case .oauth(let token):
            return [("Authorization", "Bearer " + token)]
        case .aws:
            return []
        }
    }
}

public struct PathsConfig: Sendable, Equatable {
    public var dataDir: String = ""
    public var stage1ImagesDir: String = ""
    public init(dataDir: String = "", stage1ImagesDir: String = "") {
        self.dataDir = dataDir
        self.stage1ImagesDir = stage1ImagesDir
    }
}

/// The default stage1 image: name and version go together, location is separate.
public struct Stage1Config: Sendable, Equatable {
    public var name: String = ""
    public var version: String = ""
    public var location: String = ""
    public init(name: String = "", version: String = "", location: String = "") {
        self.name = name
        self.version = version
        self.location = location
    }
}

/// Standard base64 with padding (for `Authorization: Basic`), without pulling Foundation's Data in.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let n = (b0 << 16) | (b1 << 8) | b2
            out.append(alphabet[Int((n >> 18) & 63)])
            out.append(alphabet[Int((n >> 12) & 63)])
            out.append(i + 1 < bytes.count ? alphabet[Int((n >> 6) & 63)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(n & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
