import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import RktCommon
import Stage0Core
import RktOS
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
        // AsyncHTTPClient keeps retrying a refused connection, and a TLS handshake with a server
        // that never answers it, until the connect timeout; 10 s is Go's TLS handshake timeout,
        // which rkt's registry client had.
        config.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10), read: .seconds(300))
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
        return try Self.reply(try client.execute(request: request).wait(), url: url, limit: limit)
    }

    /// `GET /v2/`: decides the scheme and remembers the auth challenge.
    public func ping() throws {
        let reply = allowHTTP ? try pingEitherScheme() : try pingHTTPS()
        let version = reply.headers.first(name: "Docker-Distribution-API-Version") ?? ""
        guard reply.status == 200 || reply.status == 401, version.hasPrefix("registry/2") || reply.status == 200 else {
            throw RktError("registry \(reference.registry) does not speak the v2 API", causes: ["GET /v2/ returned \(reply.status)"])
        }
        if reply.status == 401, let h = reply.headers.first(name: "WWW-Authenticate") {
            challenge = AuthChallenge(parsing: h)
        }
    }

    private func pingHTTPS() throws -> Reply {
        do {
            let reply = try get("https://\(reference.registry)/v2/")
            scheme = "https"
            return reply
        } catch {
            // The hint goes in the innermost message: that is the part printed without --debug.
            throw RktError("cannot reach registry \(reference.registry) over https (\(Self.reason(error))); for a plain-HTTP registry use --insecure-options=http")
        }
    }

    /// With `--insecure-options=http`: HTTPS is preferred, but both pings go out at once. A
    /// plain-HTTP server often never answers a TLS ClientHello (it waits for a request line), so
    /// waiting for HTTPS to fail first would cost the whole connect timeout. A port serves either
    /// TLS or plain HTTP, so a valid v2 answer over plain HTTP means HTTPS cannot work there.
    private func pingEitherScheme() throws -> Reply {
        let race = PingRace()
        let tasks = try ["https", "http"].map { s -> HTTPClient.Task<HTTPClient.Response> in
            let request = try HTTPClient.Request(url: "\(s)://\(reference.registry)/v2/", method: .GET)
            let task = client.execute(request: request, delegate: ResponseAccumulator(request: request))
            task.futureResult.whenComplete { race.finish(s, $0) }
            return task
        }
        let (https, http) = race.wait { https, http in
            // Done when HTTPS answered, or plain HTTP gave a v2 answer, or both ended.
            if case .success = https { return true }
            if case .success(let r) = http, Self.isV2Ping(r) { return true }
            return https != nil && http != nil
        }
        if case .success(let r) = https {
            tasks[1].cancel()
            scheme = "https"
            return try Self.reply(r, url: "https://\(reference.registry)/v2/")
        }
        tasks[0].cancel()
        switch http {
        case .success(let r)?:
            scheme = "http"
            return try Self.reply(r, url: "http://\(reference.registry)/v2/")
        case .failure(let error)?:
            throw RktError("cannot reach registry \(reference.registry) over https or http (\(Self.reason(error)))")
        case nil:
            throw RktError("cannot reach registry \(reference.registry)")
        }
    }

    static func isV2Ping(_ r: HTTPClient.Response) -> Bool {
        r.status == .ok || (r.status == .unauthorized && r.headers.first(name: "Docker-Distribution-API-Version")?.hasPrefix("registry/2") == true)
    }

    static func reply(_ response: HTTPClient.Response, url: String, limit: Int = OCIDocument.maxSize) throws -> Reply {
        let body = response.body.map { Array($0.readableBytesView) } ?? []
        guard body.count <= limit else { throw RktError("response from \(url) is larger than \(limit) bytes") }
        return Reply(status: Int(response.status.code), headers: response.headers, body: body)
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
            if reply.status == 401 {
                throw RktError("registry \(reference.registry) refused the credentials for \(reference.repository) (401 unauthorized; check the dockerAuth entry in auth.d)")
            }
        }
        return reply
    }

    private func authenticate(_ c: AuthChallenge) throws {
        let basic = credentials.map { "Basic " + Data("\($0.user):\($0.password)".utf8).base64EncodedString() }
        switch c.scheme {
        case "basic":
            guard let basic else { throw RktError("registry \(reference.registry) requires credentials (add a dockerAuth entry for it in auth.d)") }
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

    /// An error as one line (`message: innermost cause`), for messages that must carry it.
    static func reason(_ error: any Error) -> String {
        (error as? RktError)?.description ?? String(describing: error)
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
            throw RktError("manifest \(reference.repository):\(ref) from \(reference.registry) does not match its digest \(expected) (got \(digest))")
        }
        return (reply.body, reply.headers.first(name: "Content-Type"), digest)
    }

    /// Small blobs (the config) in memory, verified.
    public func blobBytes(_ d: OCIDescriptor) throws -> [UInt8] {
        let reply = try authorizedGet("\(base)/\(reference.repository)/blobs/\(d.digest)", limit: OCIDocument.maxSize)
        guard reply.status == 200 else {
            throw RktError("cannot fetch blob \(d.digest) from \(reference.registry)", causes: ["bad HTTP status code: \(reply.status)"])
        }
        try BlobDigest.verify(reply.body, d, from: reference.registry)
        return reply.body
    }

    /// Downloads blobs into the given files, `parallel` at a time (a new one starts as soon as
    /// one ends); every byte is SHA-256'd as it arrives and a mismatch fails the whole fetch.
    /// `progress` draws a bar per blob (stderr is a terminal).
    public func downloadBlobs(_ jobs: [(OCIDescriptor, String)], parallel: Int = 3, progress: Bool) throws {
        // Make sure a valid token exists before starting concurrent requests.
        if let exp = tokenExpiry, exp < Date() { authorization = nil }
        if authorization == nil, let challenge { try authenticate(challenge) }
        let bars = progress ? BlobProgress(jobs.map(\.0)) : nil
        let slots = DispatchSemaphore(value: max(parallel, 1))
        let failed = FailureFlag()
        var tasks: [(OCIDescriptor, DigestingFileDelegate, EventLoopFuture<DigestingFileDelegate.Result>)] = []
        // Whatever happens, every started request has ended before the caller deletes the files.
        defer {
            for (_, delegate, future) in tasks {
                _ = try? future.wait()
                delegate.close()
            }
            bars?.finish()
        }
        for (i, job) in jobs.enumerated() {
            let (d, path) = job
            slots.wait()
            // A failure already seen stops the rest from starting; the loop below reports it.
            if failed.isSet {
                slots.signal()
                break
            }
            var request = try HTTPClient.Request(url: "\(base)/\(reference.repository)/blobs/\(d.digest)", method: .GET)
            if let authorization { request.headers.add(name: "Authorization", value: authorization) }
            let delegate = try DigestingFileDelegate(path: path, limit: min(d.size, Self.maxBlobSize)) { received in
                bars?.update(i, received: received)
            }
            let future = client.execute(request: request, delegate: delegate).futureResult
            future.whenComplete { r in
                if case .success(let res) = r, res.status == 200, res.digest == d.digest, res.size == d.size {} else { failed.set() }
                slots.signal()
            }
            tasks.append((d, delegate, future))
        }
        for (d, _, future) in tasks {
            let result: DigestingFileDelegate.Result
            do { result = try future.wait() } catch {
                throw RktError("cannot download blob \(d.digest) from \(reference.registry): \(Self.reason(error))")
            }
            guard result.status == 200 else {
                throw RktError("cannot download blob \(d.digest) from \(reference.registry): bad HTTP status code: \(result.status)")
            }
            // No cause: without --debug only the innermost message is printed, and it must
            // name the digest.
            guard result.digest == d.digest, result.size == d.size else {
                throw BlobDigest.mismatch(d, got: result.digest, size: result.size, from: reference.registry)
            }
        }
    }
}

/// The two pings of `pingEitherScheme`, completed on event-loop threads and waited for by the
/// fetching thread.
final class PingRace: @unchecked Sendable {
    typealias Outcome = Result<HTTPClient.Response, any Error>
    private let cond = NSCondition()
    private var https: Outcome?
    private var http: Outcome?

    func finish(_ scheme: String, _ outcome: Outcome) {
        cond.lock()
        if scheme == "https" { https = outcome } else { http = outcome }
        cond.broadcast()
        cond.unlock()
    }

    /// Blocks until `done` says the outcomes so far are enough.
    func wait(until done: (Outcome?, Outcome?) -> Bool) -> (https: Outcome?, http: Outcome?) {
        cond.lock()
        defer { cond.unlock() }
        while !done(https, http) { cond.wait() }
        return (https, http)
    }
}

/// A flag set from event-loop callbacks and read by the fetching thread.
final class FailureFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
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
            let key = s[..<eq].trimmingSpaces().lowercased()
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
                value = String(s[..<end]).trimmingSpaces()
                s = s[end...]
            }
            params[key] = value
        }
    }
}

enum BlobDigest {
    static func verify(_ bytes: [UInt8], _ d: OCIDescriptor, from origin: String) throws {
        let got = "sha256:" + SHA256.hash(data: bytes).hexString
        guard got == d.digest, Int64(bytes.count) == d.size else {
            throw mismatch(d, got: got, size: Int64(bytes.count), from: origin)
        }
    }

    /// One line naming the blob, where it came from and what arrived instead.
    static func mismatch(_ d: OCIDescriptor, got: String, size: Int64, from origin: String) -> RktError {
        let what = got == d.digest ? "\(size) bytes instead of \(d.size)" : "content has digest \(got)"
        return RktError("blob \(d.digest) from \(origin) does not match its digest (\(what))")
    }
}

extension Digest {
    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}

