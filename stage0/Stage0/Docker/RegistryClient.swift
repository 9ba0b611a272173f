import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import RktCommon
import RktJSON

/// A Docker registry v2 client (distribution spec; appc-docker-cni.md §7.2 with its "Do:" notes):
/// `/v2/` ping, bearer-token and basic auth, manifests and blobs. Synchronous like the rest of
/// stage0; AsyncHTTPClient futures are waited on, never leaked.
public final class RegistryClient: @unchecked Sendable {
    public let reference: DockerReference
    let credentials: BasicCredentials?
    let allowHTTP: Bool
    let client: HTTPClient
    /// `https` until the ping says otherwise (`--insecure-options=http` fallback).
    private(set) var scheme = "https"
    /// The `Authorization` header value once a challenge has been answered.
    private var authorization: String?
    private var tokenExpiry: Date?
    private var challenge: AuthChallenge?
    /// Blobs larger than this are refused whatever the descriptor claims.
    static let maxBlobSize: Int64 = 16 << 30

    public init(reference: DockerReference, credentials: BasicCredentials?, insecureTLS: Bool, allowHTTP: Bool) {
        self.reference = reference
        self.credentials = credentials
        self.allowHTTP = allowHTTP
        var config = insecureTLS ? HTTPClient.Configuration(certificateVerification: .none) : HTTPClient.Configuration()
        config.redirectConfiguration = .follow(max: 5, allowCycles: false)
        config.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(30), read: .seconds(300))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    deinit { try? client.syncShutdown() }

    var base: String { "\(scheme)://\(reference.registry)/v2" }

    // MARK: - Requests

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    private func get(_ url: String, accept: String? = nil, auth: String? = nil, limit: Int = OCIDocument.maxSize) throws -> Reply {
        var request = try HTTPClient.Request(url: url, method: .GET)
        if let accept { request.headers.add(name: "Accept", value: accept) }
        if let auth { request.headers.add(name: "Authorization", value: auth) }
        let response = try client.execute(request: request).wait()
        let body = response.body.map { Array($0.readableBytesView) } ?? []
        guard body.count <= limit else { throw RktError("response from \(url) is larger than \(limit) bytes") }
        return Reply(status: Int(response.status.code), headers: response.headers, body: body)
    }

    /// `GET /v2/`: decides the scheme and remembers the auth challenge.
    public func ping() throws {
        var reply: Reply
        do {
            reply = try get("https://\(reference.registry)/v2/")
            scheme = "https"
        } catch {
            guard allowHTTP else {
                throw RktError("cannot reach registry \(reference.registry) over https (try --insecure-options=http for a plain-HTTP registry)", cause: error)
            }
            do {
                reply = try get("http://\(reference.registry)/v2/")
                scheme = "http"
            } catch {
                throw RktError("cannot reach registry \(reference.registry)", cause: error)
            }
        }
        let version = reply.headers.first(name: "Docker-Distribution-API-Version") ?? ""
        guard reply.status == 200 || reply.status == 401, version.hasPrefix("registry/2") || reply.status == 200 else {
            throw RktError("registry \(reference.registry) does not speak the v2 API", causes: ["GET /v2/ returned \(reply.status)"])
        }
        if reply.status == 401, let h = reply.headers.first(name: "WWW-Authenticate") {
            challenge = AuthChallenge(parsing: h)
        }
    }

    /// An authorised GET: answers a 401 challenge once and retries.
    func authorizedGet(_ url: String, accept: String? = nil, limit: Int = OCIDocument.maxSize) throws -> Reply {
        if let exp = tokenExpiry, exp < Date() { authorization = nil }
        if authorization == nil, let challenge { try authenticate(challenge) }
        var reply = try get(url, accept: accept, auth: authorization, limit: limit)
        if reply.status == 401, let h = reply.headers.first(name: "WWW-Authenticate"), let c = AuthChallenge(parsing: h) {
            challenge = c
            try authenticate(c)
            reply = try get(url, accept: accept, auth: authorization, limit: limit)
        }
        return reply
    }

    private func authenticate(_ c: AuthChallenge) throws {
        let basic = credentials.map { "Basic " + Data("\($0.user):\($0.password)".utf8).base64EncodedString() }
        switch c.scheme {
        case "basic":
            guard let basic else { throw RktError("registry \(reference.registry) requires credentials", causes: ["add a dockerAuth entry in auth.d"]) }
            authorization = basic
        case "bearer":
            guard let realm = c.params["realm"] else { throw RktError("unable to retrieve auth token", causes: ["challenge has no realm"]) }
            var comps = URLComponents(string: realm)
            var items = comps?.queryItems ?? []
            if let service = c.params["service"] { items.append(URLQueryItem(name: "service", value: service)) }
            items.append(URLQueryItem(name: "scope", value: c.params["scope"] ?? "repository:\(reference.repository):pull"))
            comps?.queryItems = items
            guard let url = comps?.string else { throw RktError("unable to retrieve auth token", causes: ["invalid realm \(realm)"]) }
            let reply = try get(url, auth: basic)
            guard reply.status == 200 else {
                let reason = HTTPResponseStatus(statusCode: reply.status).reasonPhrase.lowercased()
                throw RktError("unable to retrieve auth token: \(reply.status) \(reason)")
            }
            let json = try? parseJSON(reply.body)
            guard let token = json?["token"]?.stringValue ?? json?["access_token"]?.stringValue, !token.isEmpty else {
                throw RktError("unable to retrieve auth token", causes: ["no token in the reply from \(realm)"])
            }
            authorization = "Bearer \(token)"
            let lifetime = json?["expires_in"]?.intValue ?? 60
            tokenExpiry = Date().addingTimeInterval(Double(max(lifetime, 10)) - 5)
        default:
            throw RktError("unsupported registry auth scheme \"\(c.scheme)\"")
        }
    }

    // MARK: - Manifests and blobs

    /// Fetches a manifest by tag or digest; the body is verified against the digest when the
    /// reference is one, else against `Docker-Content-Digest` when the registry sends it.
    public func manifest(_ ref: String) throws -> (bytes: [UInt8], contentType: String?, digest: String) {
        let url = "\(base)/\(reference.repository)/manifests/\(ref)"
        let reply = try authorizedGet(url, accept: OCIMediaType.manifestAccept)
        guard reply.status == 200 else {
            if reply.status == 404 {
                throw RktError("cannot fetch manifest \(reference.repository):\(ref) from \(reference.registry)", causes: ["manifest unknown"])
            }
            throw RktError("cannot fetch manifest \(reference.repository):\(ref) from \(reference.registry)", causes: ["bad HTTP status code: \(reply.status)"])
        }
        let digest = "sha256:" + SHA256.hash(data: reply.body).hexString
        let expected = ref.hasPrefix("sha256:") ? ref : reply.headers.first(name: "Docker-Content-Digest")
        if let expected, expected != digest {
            throw RktError("manifest \(reference.repository):\(ref) does not match its digest", causes: ["expected \(expected), got \(digest)"])
        }
        return (reply.body, reply.headers.first(name: "Content-Type"), digest)
    }

    /// Small blobs (the config) in memory, verified.
    public func blobBytes(_ d: OCIDescriptor) throws -> [UInt8] {
        let reply = try authorizedGet("\(base)/\(reference.repository)/blobs/\(d.digest)", limit: OCIDocument.maxSize)
        guard reply.status == 200 else {
            throw RktError("cannot fetch blob \(d.digest) from \(reference.registry)", causes: ["bad HTTP status code: \(reply.status)"])
        }
        try BlobDigest.verify(reply.body, d)
        return reply.body
    }

    /// Downloads blobs into the given files, at most `parallel` at a time; every byte is
    /// SHA-256'd as it arrives and a mismatch fails the whole fetch.
    public func downloadBlobs(_ jobs: [(OCIDescriptor, String)], parallel: Int = 3, progress: Bool) throws {
        // Make sure a valid token exists before starting concurrent requests.
        if let exp = tokenExpiry, exp < Date() { authorization = nil }
        if authorization == nil, let challenge { try authenticate(challenge) }
        var index = 0
        while index < jobs.count {
            let batch = jobs[index..<min(index + parallel, jobs.count)]
            index += batch.count
            let tasks = try batch.map { job -> (OCIDescriptor, DigestingFileDelegate, EventLoopFuture<DigestingFileDelegate.Result>) in
                let (d, path) = job
                var request = try HTTPClient.Request(url: "\(base)/\(reference.repository)/blobs/\(d.digest)", method: .GET)
                if let authorization { request.headers.add(name: "Authorization", value: authorization) }
                let delegate = try DigestingFileDelegate(path: path, limit: min(d.size, Self.maxBlobSize))
                return (d, delegate, client.execute(request: request, delegate: delegate).futureResult)
            }
            for (d, delegate, future) in tasks {
                let result: DigestingFileDelegate.Result
                do { result = try future.wait() } catch {
                    delegate.close()
                    throw RktError("cannot download blob \(d.digest) from \(reference.registry)", cause: error)
                }
                guard result.status == 200 else {
                    throw RktError("cannot download blob \(d.digest) from \(reference.registry)", causes: ["bad HTTP status code: \(result.status)"])
                }
                guard result.digest == d.digest, result.size == d.size else {
                    throw RktError("blob \(d.digest) from \(reference.registry) does not match its descriptor", causes: ["got \(result.digest), \(result.size) bytes"])
                }
                if progress { FileHandle.standardError.write(Data("Downloaded \(d.digest.prefix(19)) (\(Humanize.bytesSI(Int(result.size))))\n".utf8)) }
            }
        }
    }
}

/// `WWW-Authenticate: Bearer realm="…",service="…",scope="…"`, parsed properly (quoted values
/// may hold commas, as in `scope="repository:x:pull,push"`).
struct AuthChallenge: Equatable {
    var scheme: String
    var params: [String: String]

    init?(parsing header: String) {
        let trimmed = header.drop { $0 == " " }
        guard let sp = trimmed.firstIndex(of: " ") else {
            guard !trimmed.isEmpty else { return nil }
            scheme = trimmed.lowercased(); params = [:]; return
        }
        scheme = trimmed[..<sp].lowercased()
        params = [:]
        var s = trimmed[trimmed.index(after: sp)...]
        while !s.isEmpty {
            s = s.drop { $0 == " " || $0 == "," }
            guard let eq = s.firstIndex(of: "=") else { break }
            let key = s[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            s = s[s.index(after: eq)...]
            var value = ""
            if s.first == "\"" {
                s = s.dropFirst()
                while let c = s.first, c != "\"" {
                    if c == "\\" { s = s.dropFirst() }
                    if let c2 = s.first { value.append(c2); s = s.dropFirst() }
                }
                s = s.dropFirst()
            } else {
                let end = s.firstIndex(of: ",") ?? s.endIndex
                value = String(s[..<end]).trimmingCharacters(in: .whitespaces)
                s = s[end...]
            }
            params[key] = value
        }
    }
}

enum BlobDigest {
    static func verify(_ bytes: [UInt8], _ d: OCIDescriptor) throws {
        let got = "sha256:" + SHA256.hash(data: bytes).hexString
        guard got == d.digest, Int64(bytes.count) == d.size else {
            throw RktError("blob \(d.digest) does not match its descriptor", causes: ["got \(got), \(bytes.count) bytes"])
        }
    }
}

extension Digest {
    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}

