import Foundation
import RktCommon
import Stage0Core

/// A detached signature on its way: a local file, a download, or a download the server asked
/// to defer until after the image (HTTP 202).
final class PendingSignature {
    var path: String?
    var deferredURL: String?
    private var temporary: String?

    init(path: String? = nil, deferredURL: String? = nil, temporary: String? = nil) {
        self.path = path
        self.deferredURL = deferredURL
        self.temporary = temporary
    }

    func adopt(temporary: String) {
        self.temporary = temporary
        self.path = temporary
    }

    deinit { if let temporary { unlink(temporary) } }
}

extension ImageFetcher {
    var keystore: Keystore { Keystore(context: context) }

    /// The signature for an image at `url`: the `--signature` file when given, else a download
    /// of `sigURL`. A 202 defers the download until the image is in (rkt: httpfetcher.go).
    func prepareSignature(localFile: String?, sigURL: String) throws -> PendingSignature {
        if let localFile {
            guard FileManager.default.isReadableFile(atPath: localFile) else {
                throw RktError("error opening signature file \"\(localFile)\"", causes: ["open \(localFile): no such file or directory"])
            }
            return PendingSignature(path: localFile)
        }
        let pending = PendingSignature()
        context.log("downloading signature from \(sigURL)", component: "image")
        if try downloadSignature(sigURL, into: pending) == 202 {
            context.log("server requested deferring the signature download", component: "image")
            pending.deferredURL = sigURL
        }
        return pending
    }

    /// Downloads a signature into a temp file owned by `pending`; returns the HTTP status.
    @discardableResult
    func downloadSignature(_ url: String, into pending: PendingSignature) throws -> Int {
        do {
            let path = try DiscoveryClient.makeTemp()
            pending.adopt(temporary: path)
            var d = downloader
            d.showProgress = false
            return try d.download(url, to: path, what: "signature").status
        } catch {
            throw RktError("error downloading the signature file", cause: error)
        }
    }

    /// Checks a fetched image before import: the requested name and labels, then (unless
    /// `--insecure-options=image`) its signature against the keyring for its name.
    func verifyFetched(imagePath: String, signature: PendingSignature?, expected: AppName?) throws {
        // Nothing to check: leave layout errors to the import, which reports them best.
        if signature == nil && expected == nil { return }
        let manifest = try ImageVerifier.manifest(ofACI: imagePath)
        if let expected {
            try ImageVerifier.checkNameAndLabels(manifest: manifest, name: expected.name, labels: expected.labels)
        }
        guard let signature else { return }
        if let deferred = signature.deferredURL {
            context.log("downloading signature from \(deferred)", component: "image")
            let status = try downloadSignature(deferred, into: signature)
            guard status == 200 else {
                throw RktError("error downloading the signature file", causes: ["bad HTTP status code: \(status)"])
            }
        }
        guard let sigPath = signature.path else { throw RktError("error downloading the signature file", causes: ["no signature"]) }
        let signer = try ImageVerifier(keystore: keystore).verify(image: imagePath, signature: sigPath, name: manifest.name)
        context.log("signature verified:", component: "image")
        for id in signer.identities { context.log("  \(id)", component: "image") }
    }

    /// rkt's fetch-time key discovery: when nothing is trusted for `name` and discovery named
    /// public keys, trust them (silently with `--trust-keys-from-https`, else after review on a
    /// terminal).
    func trustDiscoveredKeys(name: String, keys: [String]) throws {
        guard !context.insecure.skipImageCheck, !keys.isEmpty, !keystore.hasKeys(forName: name) else { return }
        let interactive = isatty(STDIN_FILENO) == 1
        guard context.trustKeysFromHTTPS || interactive else { return }
        var trust = KeyTrust(
            keystore: keystore, discovery: DiscoveryClient(context: context),
            allowHTTP: context.insecure.allowPubkeyOverHTTP)
        trust.write = { Stage0Context.writeStderr($0 + "\n") }
        for key in keys {
            _ = try trust.add(location: key, prefix: name, review: context.trustKeysFromHTTPS ? .acceptHTTPS : .ask)
        }
    }
}
