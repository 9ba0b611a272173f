import AsyncHTTPClient
import Foundation
import NIOSSL
import RktCommon
import Stage0Core

/// The outcome of one image download.
public struct HTTPDownloadResult: Equatable, Sendable {
    public var status: Int
    /// `304 Not Modified`: the file was not written; reuse the stored key.
    public var notModified: Bool { status == 304 }
    public var etag: String
    /// From `Cache-Control` (rkt's `getMaxAge`).
    public var maxAge: Int
}

/// Synchronous HTTP(S) downloads into a file (rkt: rkt/image/httpops.go, resumablesession.go).
///
/// AsyncHTTPClient is driven through its future API and `wait()`, so callers (pod creation,
/// `rkt fetch`) stay synchronous; nothing async leaks out of this type.
public struct HTTPDownloader: Sendable {
    /// `--insecure-options=tls`: do not verify the server certificate.
    public var insecureTLS: Bool
    /// Extra headers per `host[:port]` (auth.d credentials).
    public var headersForHost: @Sendable (String) -> [(String, String)]
    /// Draw a progress line on stderr (only when stderr is a terminal).
    public var showProgress: Bool

    public init(
        insecureTLS: Bool = false,
        headersForHost: @escaping @Sendable (String) -> [(String, String)] = { _ in [] },
        showProgress: Bool = isatty(STDERR_FILENO) == 1
    ) {
        self.insecureTLS = insecureTLS
        self.headersForHost = headersForHost
        self.showProgress = showProgress
    }

    /// The TLS client settings: the system trust store, replaced by the CA bundle `$SSL_CERT_FILE`
    /// and extended by the certificates in the directories of `$SSL_CERT_DIR` (colon-separated)
    /// when they are set, as Go's crypto/x509 (and so rkt) did; `--insecure-options=tls` turns
    /// verification off.
    public static func tlsConfiguration(insecure: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if insecure {
            tls.certificateVerification = .none
            return tls
        }
        if let file = environment["SSL_CERT_FILE"], !file.isEmpty {
            tls.trustRoots = .file(file)
        }
        if let dirs = environment["SSL_CERT_DIR"], !dirs.isEmpty {
            let certs = dirs.split(separator: ":").flatMap { certificates(inDirectory: String($0)) }
            if !certs.isEmpty { tls.additionalTrustRoots = [.certificates(certs)] }
        }
        return tls
    }

    /// Every PEM certificate in `dir`, each file once however many hash links name it (files
    /// that do not parse are skipped, as Go skips them).
    static func certificates(inDirectory dir: String) -> [NIOSSLCertificate] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        var seen = Set<String>()
        return names.sorted().flatMap { name -> [NIOSSLCertificate] in
            let path = (dir + "/" + name as NSString).resolvingSymlinksInPath
            var st = stat()
            guard seen.insert(path).inserted, stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return [] }
            return (try? NIOSSLCertificate.fromPEMFile(path)) ?? []
        }
    }

    /// One readable line for a refused server certificate (NIOSSL reports BoringSSL's error
    /// stack), saying how to trust a private CA; nil for any other error.
    static func tlsFailure(_ error: Error) -> String? {
        let text = String(describing: error)
        guard text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("failedToValidateHostname") else { return nil }
        return "TLS certificate verification failed (give a private CA with SSL_CERT_FILE, or skip the check with --insecure-options=tls)"
    }

    /// `host` or `host:port` of `url`, the key auth.d entries are matched against.
    public static func hostKey(_ url: URL) -> String {
        let host = url.host ?? ""
        guard let port = url.port else { return host }
        return "\(host):\(port)"
    }

    /// GETs `urlString` into `path` (created or truncated). A non-2xx status other than 304 is
    /// an error: `bad HTTP status code: N`.
    public func download(_ urlString: String, to path: String, ifNoneMatch etag: String? = nil, what: String = "ACI") throws -> HTTPDownloadResult {
        guard let url = URL(string: urlString), url.host != nil else {
            throw RktError("invalid url \"\(urlString)\"")
        }
        var config = HTTPClient.Configuration(tlsConfiguration: Self.tlsConfiguration(insecure: insecureTLS))
        config.redirectConfiguration = .follow(max: 10, allowCycles: false)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        defer { try? client.syncShutdown() }

        var request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: urlString, method: .GET)
        } catch {
            throw RktError("invalid url \"\(urlString)\"", cause: error)
        }
        for (name, value) in headersForHost(Self.hostKey(url)) {
            request.headers.add(name: name, value: value)
        }
        if let etag, !etag.isEmpty { request.headers.add(name: "If-None-Match", value: etag) }

        // `path` is an empty file the caller created (and locked); the delegate writes into it
        // when a body arrives and leaves it empty for a 304.
        let bar = showProgress ? ProgressBar(label: "Downloading \(what)") : nil
        var report: (@Sendable (FileDownloadDelegate.Progress) -> Void)? = nil
        if let bar {
            report = { @Sendable (p: FileDownloadDelegate.Progress) in bar.update(received: p.receivedBytes, total: p.totalBytes) }
        }
        let delegate: FileDownloadDelegate
        do {
            delegate = try FileDownloadDelegate(path: path, reportProgress: report)
        } catch {
            throw RktError("cannot create download file \(path)", cause: error)
        }
        let result: FileDownloadDelegate.Progress
        do {
            result = try client.execute(request: request, delegate: delegate).futureResult.wait()
        } catch {
            bar?.finish()
            if let reason = Self.tlsFailure(error) {
                throw RktError("error downloading \(what) from \(urlString)", causes: [reason])
            }
            throw RktError("error downloading \(what) from \(urlString)", cause: error)
        }
        if let bar, result.receivedBytes > 0 {
            bar.update(received: result.receivedBytes, total: result.totalBytes, force: true)
        }
        bar?.finish()
        let head = result.head
        let status = Int(head.status.code)
        if status == 304 {
            return HTTPDownloadResult(status: status, etag: etag ?? "", maxAge: 0)
        }
        guard (200..<300).contains(status) else {
            _ = unlink(path)
            throw RktError("error downloading \(what) from \(urlString)", causes: ["bad HTTP status code: \(status)"])
        }
        // An empty body never creates the file; make it exist so the import reports a clear error.
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        return HTTPDownloadResult(
            status: status,
            etag: head.headers.first(name: "ETag") ?? "",
            maxAge: HTTPCache.maxAge(cacheControl: head.headers.first(name: "Cache-Control")))
    }
}
