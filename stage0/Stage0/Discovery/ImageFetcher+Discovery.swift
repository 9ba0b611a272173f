import Foundation
import RktCommon
import Stage0Core

extension ImageFetcher {
    /// Discovers `app` (labels already include the host's os/arch), trusts discovered keys when
    /// allowed, then downloads the first endpoint through the URL path with the name and labels
    /// to check (rkt: rkt/image/namefetcher.go).
    func fetchDiscovered(_ app: AppName, labels: [String: String], original: String, pullPolicy: PullPolicy) throws -> String {
        let result: DiscoveryResult
        do {
            result = try DiscoveryClient(context: context).discoverImage(name: app.name, labels: labels)
        } catch {
            throw RktError("unable to fetch image from image name \"\(original)\"", cause: error)
        }
        guard let endpoint = result.endpoints.first else {
            throw RktError("unable to fetch image from image name \"\(original)\"", causes: ["no endpoints discovered"])
        }
        if endpoint.aci.hasPrefix("http://") && !context.insecure.allowHTTP {
            throw RktError("unable to fetch image from image name \"\(original)\"", causes: [
                "discovered plain http URL \(endpoint.aci) (try --insecure-options=http)",
            ])
        }
        try trustDiscoveredKeys(name: app.name, keys: result.publicKeys)
        return try fetchURL(
            endpoint.aci, pullPolicy: pullPolicy == .never ? .update : pullPolicy, signature: nil,
            signatureURL: endpoint.asc, expected: AppName(name: app.name, labels: labels))
    }
}
