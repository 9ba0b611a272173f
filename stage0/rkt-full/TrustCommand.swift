import ArgumentParser
import Foundation
import RktCommon
import Stage0
import Stage0Core

/// `rkt trust`: add keys to the local keystore, for a prefix or as root keys (rkt: rkt/trust.go).
struct TrustCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust", abstract: "Trust a key for image verification",
        discussion: "Adds keys to the local keystore for use in verifying signed images.\n\nPUBKEY may be either a local file or URL,\nPREFIX scopes the applicability of PUBKEY to image names sharing PREFIX.\nMeta discovery of PUBKEY at PREFIX will be attempted if no PUBKEY is specified.\n--root must be specified to add keys with no prefix.\nPath to a key file must be specified when using --root.")
    @OptionGroup var globals: GlobalOptions

    @Option(help: "prefix to limit trust to") var prefix = ""
    @Flag(help: "add root key from filesystem without a prefix") var root = false
    @Flag(name: .customLong("skip-fingerprint-review"), help: "accept key without fingerprint confirmation") var skipFingerprintReview = false
    @Flag(name: .customLong("insecure-allow-http"), help: "allow HTTP use for key discovery and/or retrieval") var insecureAllowHTTP = false
    @Argument(help: "PUBKEY ...") var keys: [String] = []

    func run() throws {
        if !prefix.isEmpty && root { throw RktError("--root and --prefix usage mutually exclusive") }
        if prefix.isEmpty && !root {
            if keys.isEmpty {
                print(TrustCommand.helpMessage())
                throw ArgumentParser.ExitCode(254)
            }
            throw RktError("--prefix required", causes: ["implicit unbounded trust is not allowed; use --root for root keys"])
        }
        if root && keys.isEmpty { throw RktError("--root requires a key file path") }
        if !prefix.isEmpty && !Keystore.isValidPrefix(prefix) {
            throw RktError("invalid prefix \"\(prefix)\"", causes: ["the prefix must be an image name prefix, without a URL scheme"])
        }
        let context = try globals.context("trust")
        let discovery = DiscoveryClient(context: context, allowHTTP: insecureAllowHTTP || context.insecure.allowHTTP)
        let trust = KeyTrust(keystore: Keystore(context: context), discovery: discovery, allowHTTP: insecureAllowHTTP)
        let scope: String? = root ? nil : prefix
        var locations = keys
        if locations.isEmpty, let scope {
            locations = try trust.discoverKeys(prefix: scope)
        }
        for location in locations {
            let review: KeyTrust.Review
            if skipFingerprintReview {
                review = .skip
            } else if context.trustKeysFromHTTPS && location.hasPrefix("https://") {
                review = .acceptHTTPS
            } else {
                review = .ask
            }
            do {
                _ = try trust.add(location: location, prefix: scope, review: review)
            } catch {
                throw RktError("error adding keys", cause: error)
            }
        }
    }
}
