import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A GnuPG identity for functional tests, in its own homedir under `dir`; `close()` stops its
/// agent (by homedir) and removes it.
final class FTSigner: @unchecked Sendable {
    let home: String
    let publicKey: String

    init(_ uid: String, in dir: String) throws {
        home = dir + "/gnupg-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try gpg(["--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never"])
        publicKey = home + "/public.asc"
        try gpg(["--armor", "--output", publicKey, "--export", uid])
    }

    func gpg(_ args: [String]) throws {
        try mustRun("/usr/bin/gpg", ["--homedir", home, "--batch", "--pinentry-mode", "loopback"] + args)
    }

    /// Writes an armored detached signature of `file` to `asc` (default `<file without .aci>.aci.asc`).
    @discardableResult
    func sign(_ file: String, to asc: String? = nil) throws -> String {
        let out = asc ?? file + ".asc"
        try gpg(["--yes", "--armor", "--output", out, "--detach-sign", file])
        return out
    }

    func close() {
        _ = try? runCommand("/usr/bin/gpgconf", ["--homedir", home, "--kill", "gpg-agent"])
        try? FileManager.default.removeItem(atPath: home)
    }
}

/// A small HTTPS file server on 127.0.0.1 (Python `http.server` + `ssl`, self-signed cert made
/// with openssl), started and killed by pid. `?ac-discovery=1` requests get `discovery.html`;
/// while `<image>.defer` exists, its `.asc` answers 202 until the image has been fetched.
final class FTHTTPSServer: @unchecked Sendable {
    let root: String
    let port: Int
    private let process: SpawnedProcess

    static let script = """
    import http.server, ssl, sys, os
    port, root, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    pending, ready = set(), set()
    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def do_GET(self):
            path, _, query = self.path.partition('?')
            if 'ac-discovery=1' in query:
                f = os.path.join(root, 'discovery.html')
            else:
                f = os.path.join(root, path.lstrip('/'))
            if f.endswith('.asc') and os.path.exists(f[:-4] + '.defer'):
                if f[:-4] in ready:
                    ready.discard(f[:-4])
                else:
                    pending.add(f[:-4])
                    self.send_response(202); self.send_header('Content-Length', '0'); self.end_headers(); return
            if not os.path.isfile(f):
                self.send_response(404); self.send_header('Content-Length', '0'); self.end_headers(); return
            data = open(f, 'rb').read()
            if f in pending:
                pending.discard(f); ready.add(f)
            self.send_response(200)
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)
    srv = http.server.HTTPServer(('127.0.0.1', port), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print('ready', flush=True)
    srv.serve_forever()
    """

    /// Starts on `port` (0: a free port picked by the kernel first).
    init(root: String, port: Int = 0) throws {
        self.root = root
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let work = root + "/.server"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try FTHTTPSServer.script.write(toFile: work + "/srv.py", atomically: true, encoding: .utf8)
        try mustRun("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-keyout", work + "/key.pem", "-out", work + "/cert.pem",
        ])
        self.port = port == 0 ? FTHTTPSServer.freePort() : port
        let python = ["/usr/bin/python3", "/root/.pyenv/shims/python3"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "python3"
        process = try spawnProcess(
            python, [work + "/srv.py", String(self.port), root, work + "/cert.pem", work + "/key.pem"],
            environment: ProcessInfo.processInfo.environment, stdinPath: nil,
            stdoutPath: work + "/out", stderrPath: work + "/err")
        guard process.waitForOutput("ready", timeout: 30) else {
            process.kill(SIGKILL)
            _ = process.wait(timeout: 10)
            let err = (try? String(contentsOfFile: work + "/err", encoding: .utf8)) ?? ""
            throw HarnessError("https server on port \(self.port) did not start: \(err)")
        }
    }

    var url: String { "https://127.0.0.1:\(port)" }

    func stop() {
        process.kill(SIGKILL)
        _ = process.wait(timeout: 10)
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
