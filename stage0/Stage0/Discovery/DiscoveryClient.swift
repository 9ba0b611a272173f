import Foundation
import RktCommon
import Stage0Core

/// What discovery found for a name: image endpoints and public key URLs.
public struct DiscoveryResult: Equatable, Sendable {
    public var endpoints: [ACIEndpoint] = []
    public var publicKeys: [String] = []
}

/// The network part of appc meta discovery: GET `https://<level>?ac-discovery=1` for each level
/// of the name, falling back to plain HTTP only when allowed (`--insecure-options=http`).
public struct DiscoveryClient: Sendable {
    public var downloader: HTTPDownloader
    public var allowHTTP: Bool

    public init(downloader: HTTPDownloader, allowHTTP: Bool) {
        var d = downloader
        d.showProgress = false
        self.downloader = d
        self.allowHTTP = allowHTTP
    }

    public init(context: Stage0Context, allowHTTP: Bool? = nil) {
        let config = context.config
        self.init(
            downloader: HTTPDownloader(insecureTLS: context.insecure.skipTLSCheck, headersForHost: { config.headers(forHost: $0) }),
            allowHTTP: allowHTTP ?? context.insecure.allowHTTP)
    }

    /// Image endpoints for `name` with `labels`: the first level yielding one wins. Every failed
    /// attempt is listed in the error ("discovery failed").
    public func discoverImage(name: String, labels: [String: String]) throws -> DiscoveryResult {
        var attempts: [String] = []
        for level in MetaDiscovery.levels(of: name) {
            do {
                let tags = MetaDiscovery.parseMetaTags(try fetchPage(level))
                let eps = MetaDiscovery.endpoints(tags, name: name, labels: labels)
                if !eps.isEmpty {
                    return DiscoveryResult(endpoints: eps, publicKeys: MetaDiscovery.publicKeys(tags, name: name))
                }
                attempts.append("\(level): no ac-discovery meta tag matching \(name)")
            } catch {
                attempts.append("\(level): \(error)")
            }
        }
        throw RktError("discovery failed for \(name)", causes: [attempts.joined(separator: "; ")])
    }

    /// Public key URLs for `prefix`: the first level yielding one wins.
    public func discoverPublicKeys(prefix: String) throws -> [String] {
        var attempts: [String] = []
        for level in MetaDiscovery.levels(of: prefix) {
            do {
                let keys = MetaDiscovery.publicKeys(MetaDiscovery.parseMetaTags(try fetchPage(level)), name: prefix)
                if !keys.isEmpty { return keys }
                attempts.append("\(level): no ac-discovery-pubkeys meta tag matching \(prefix)")
            } catch {
                attempts.append("\(level): \(error)")
            }
        }
        throw RktError("discovery failed for \(prefix)", causes: [attempts.joined(separator: "; ")])
    }

    /// The discovery page of one level, HTTPS first.
    func fetchPage(_ level: String) throws -> String {
        do {
            return try getText("https://\(level)?ac-discovery=1")
        } catch {
            guard allowHTTP else { throw error }
            return try getText("http://\(level)?ac-discovery=1")
        }
    }

    /// GETs a small document into memory (through a private temp file the downloader writes).
    public func getText(_ url: String) throws -> String {
        let (status, bytes) = try getBytes(url)
        guard (200..<300).contains(status) else {
            throw RktError("error fetching \(url)", causes: ["bad HTTP status code: \(status)"])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// GETs `url` into memory; returns the status (2xx only) and the body.
    public func getBytes(_ url: String) throws -> (status: Int, body: [UInt8]) {
        let path = try Self.makeTemp()
        defer { unlink(path) }
        let result = try downloader.download(url, to: path, what: "discovery page")
        return (result.status, (try? Array(Data(contentsOf: URL(fileURLWithPath: path)))) ?? [])
    }

    static func makeTemp() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/rkt-http-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buf -> Int32 in
            guard let p = buf.baseAddress else { return -1 }
            return mkstemp(p)
        }
        guard fd >= 0 else { throw RktError.errno("cannot create temporary file", NSTemporaryDirectory()) }
        close(fd)
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
