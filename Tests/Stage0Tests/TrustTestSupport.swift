import Foundation
import RktCommon
@testable import Stage0
@testable import Stage0Core

/// A throwaway GnuPG identity for tests: its own homedir (agent included) under a temp dir,
/// removed, agent stopped, by `close()`.
final class TestSigner: @unchecked Sendable {
    let home: String
    let publicKey: String
    let fingerprint: String

    init(_ uid: String, in dir: String) throws {
        home = dir + "/gnupg-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try TestSigner.gpg(home, ["--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never"])
        publicKey = home + "/public.asc"
        try TestSigner.gpg(home, ["--armor", "--output", publicKey, "--export", uid])
        let keys = try GPG.showKeys(publicKey)
        guard let fp = keys.first?.fingerprint else { throw RktError("test key has no fingerprint") }
        fingerprint = fp
    }

    /// Writes `<file>.asc`, an armored detached signature.
    @discardableResult
    func sign(_ file: String, to asc: String? = nil) throws -> String {
        let out = asc ?? file + ".asc"
        try TestSigner.gpg(home, ["--yes", "--armor", "--output", out, "--detach-sign", file])
        return out
    }

    func close() {
        _ = try? TestSigner.run("/usr/bin/gpgconf", ["--homedir", home, "--kill", "gpg-agent"])
        try? FileManager.default.removeItem(atPath: home)
    }

    static func gpg(_ home: String, _ args: [String]) throws {
        let r = try run("/usr/bin/gpg", ["--homedir", home, "--batch", "--pinentry-mode", "loopback"] + args)
        guard r.status == 0 else { throw RktError("gpg \(args.joined(separator: " ")) failed", causes: [r.output]) }
    }

    static func run(_ path: String, _ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

func makeTrustTempDir() throws -> String {
    let dir = NSTemporaryDirectory() + "/rkt-trust-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// The RktError `body` throws (nil when it does not throw or throws something else).
func thrownError(_ body: () throws -> Void) -> RktError? {
    do { try body() } catch let e as RktError { return e } catch { return nil }
    return nil
}

/// `thrownError(body)?.description`: rkt's `message: innermost cause` form.
func thrownDescription(_ body: () throws -> Void) -> String? { thrownError(body)?.description }
