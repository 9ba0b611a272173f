import Foundation
import RktCommon
import Stage0Core
import RktOS

/// A `remote` row of the image store: which key a URL was downloaded to, with its cache data.
/// Mirrors the store's row so the fetch decisions below stay pure and testable.
public struct RemoteCacheEntry: Equatable, Sendable {
    public var url: String
    public var signatureURL: String
    public var etag: String
    public var key: String
    /// `Cache-Control: max-age` in seconds (0: always revalidate).
    public var maxAge: Int
    public var downloadTime: Date

    public init(url: String, signatureURL: String = "", etag: String = "", key: String, maxAge: Int = 0, downloadTime: Date) {
        self.url = url
        self.signatureURL = signatureURL
        self.etag = etag
        self.key = key
        self.maxAge = maxAge
        self.downloadTime = downloadTime
    }
}

/// What to do for an `http(s)` image, decided from the remote row and the pull policy before any
/// request is made (rkt: rkt/image/fetcher.go `fetchSingleImageByHTTPURL`, httpfetcher.go `Hash`).
public enum HTTPFetchDecision: Equatable, Sendable {
    /// Use the stored key (`new`/`never` with a remote row).
    case useStore(key: String)
    /// The remote row is younger than its max-age: use it without a request.
    case notExpired(key: String)
    /// Download; send `If-None-Match` when an ETag is known.
    case download(ifNoneMatch: String?)
    /// `never` and no remote row.
    case unavailable
}

public enum HTTPCache {
    public static func decide(remote: RemoteCacheEntry?, policy: PullPolicy, now: Date = Date()) -> HTTPFetchDecision {
        if policy != .update, let r = remote { return .useStore(key: r.key) }
        if policy == .never { return .unavailable }
        if let r = remote, isFresh(downloadTime: r.downloadTime, maxAge: r.maxAge, now: now) {
            return .notExpired(key: r.key)
        }
        let etag = remote?.etag ?? ""
        return .download(ifNoneMatch: etag.isEmpty ? nil : etag)
    }

    /// rkt's `useCached`: whole seconds since the download, strictly below a positive max-age.
    public static func isFresh(downloadTime: Date, maxAge: Int, now: Date = Date()) -> Bool {
        let age = Int(now.timeIntervalSince(downloadTime))
        return maxAge > 0 && age < maxAge
    }

    /// rkt's `getMaxAge`: `no-store`/`no-cache` force 0; `max-age=N` (no leading zeros) gives N.
    public static func maxAge(cacheControl: String?) -> Int {
        guard let header = cacheControl else { return 0 }
        var maxAge = 0
        for raw in header.split(separator: ",") {
            let part = raw.trimmingSpaces()
            var attr = part
            var value = ""
            if let eq = part.firstIndex(of: "=") {
                attr = String(part[..<eq])
                value = String(part[part.index(after: eq)...])
            }
            switch attr.lowercased() {
            case "no-store", "no-cache":
                maxAge = 0
            case "max-age":
                guard let secs = Int(value), !(secs != 0 && value.hasPrefix("0")) else { continue }
                maxAge = max(secs, 0)
            default:
                continue
            }
        }
        return maxAge
    }

    /// `<url without .aci>.aci.asc`, where rkt looks for a remote image's signature.
    public static func signatureURL(forImageURL url: String) -> String {
        var base = url
        var suffix = ""
        if let q = base.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            suffix = String(base[q...])
            base = String(base[..<q])
        }
        if base.hasSuffix(".aci") { base.removeLast(4) }
        return base + ".aci.asc" + suffix
    }
}
