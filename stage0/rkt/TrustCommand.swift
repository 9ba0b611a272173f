import ArgumentParser
import RktCommon
import Stage0

/// `rkt trust`: accepted with rkt's flags; the keystore comes with remote image verification,
/// which is not implemented yet, so adding keys is refused with a pointer to the workaround.
struct TrustCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "trust", abstract: "Trust a key for image verification")
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
        throw RktError(
            "cannot add trusted keys",
            causes: ["signature verification and the keystore are not implemented yet; fetch and run images with --insecure-options=image"])
    }
}
