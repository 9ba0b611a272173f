import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A GnuPG identity for functional tests, in its own homedir under `dir` (batch mode, no
/// passphrase, no network); `close()` stops its agent and removes the homedir.
final class FTSigner: @unchecked Sendable {
    let home: String
    let publicKey: String
    /// Lower-case 40 hex digits: the file name rkt's keystore gives the key.
    let fingerprint: String

    init(_ uid: String, in dir: String) throws {
        let home = dir + "/gnupg-" + String(UUID().uuidString.prefix(8))
        self.home = home
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FTSigner.gpg(home, ["--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never"])
        publicKey = home + "/public.asc"
        try FTSigner.gpg(home, ["--armor", "--output", publicKey, "--export", uid])
        let listing = try FTSigner.gpg(home, ["--with-colons", "--fingerprint", uid])
        guard let fpr = listing.stdout.split(separator: "\n").first(where: { $0.hasPrefix("fpr:") })?
            .split(separator: ":", omittingEmptySubsequences: false).dropFirst(9).first else {
            throw HarnessError("no fingerprint for test key \(uid): \(listing)")
        }
        fingerprint = fpr.lowercased()
    }

    @discardableResult
    static func gpg(_ home: String, _ args: [String]) throws -> CommandResult {
        var env = ProcessInfo.processInfo.environment
        env["GNUPGHOME"] = home
        let r = try runCommand(
            "/usr/bin/gpg", ["--homedir", home, "--batch", "--no-tty", "--pinentry-mode", "loopback"] + args,
            environment: env, timeout: 120)
        guard r.exit == 0 else { throw HarnessError("gpg \(args.joined(separator: " ")) failed: \(r)") }
        return r
    }

    /// Writes an armored detached signature of `file` to `asc` (default `<file>.asc`).
    @discardableResult
    func sign(_ file: String, to asc: String? = nil) throws -> String {
        let out = asc ?? file + ".asc"
        try FTSigner.gpg(home, ["--yes", "--armor", "--output", out, "--detach-sign", file])
        return out
    }

    func close() {
        _ = try? runCommand("/usr/bin/gpgconf", ["--homedir", home, "--kill", "gpg-agent"], timeout: 30)
        try? FileManager.default.removeItem(atPath: home)
    }
}

/// A test CA and a server certificate for `localhost` and `127.0.0.1`, made with openssl. rkt is
/// given the CA the way a user would give it one: `SSL_CERT_FILE` (see docs/images.md).
struct FTCertificates {
    let caFile: String
    let certFile: String
    let keyFile: String

    init(in dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        caFile = dir + "/ca.pem"
        certFile = dir + "/cert.pem"
        keyFile = dir + "/key.pem"
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try mustRun("/usr/bin/openssl", ["req", "-x509"] + ec + [
            "-days", "2", "-subj", "/CN=rkt test CA", "-keyout", dir + "/ca.key", "-out", caFile,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        try mustRun("/usr/bin/openssl", ["req"] + ec + ["-subj", "/CN=localhost", "-keyout", keyFile, "-out", dir + "/srv.csr"])
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: dir + "/ext.cnf", atomically: true, encoding: .utf8)
        try mustRun("/usr/bin/openssl", [
            "x509", "-req", "-in", dir + "/srv.csr", "-CA", caFile, "-CAkey", dir + "/ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", dir + "/ext.cnf", "-out", certFile,
        ])
    }
}

/// A file server for appc images, signatures, keys and discovery pages: python3's http.server in
/// a private network namespace of its own, listening on 127.0.0.1:443 (TLS, certificate from
/// `FTCertificates`) and 127.0.0.1:80 (plain). appc discovery always asks port 443 (or 80), so
/// the namespace is what keeps those ports free for every test running in parallel; rkt is run
/// inside it with `nsenter` (`RktTestEnv.rkt(in:…)`). Started and killed (by pid) by the test;
/// the namespace disappears with the server.
///
/// Files come from `root`. `GET /a/b?ac-discovery=1` answers `root/.discovery/a/b/index.html`
/// (`root/.discovery/index.html` for `/`). Sidecar files change a file's answer:
/// `<f>.cache-control` (the `Cache-Control` header, default `no-cache`), `<f>.auth` (the
/// `Authorization` value required, else 401), `<image>.defer` (its `.asc` answers 202 until the
/// image has been fetched). Every file has an `ETag`; a matching `If-None-Match` gets 304.
/// Every request is logged as `scheme path status inm=… auth=…` (see `requests`).
final class FTServer: @unchecked Sendable {
    let root: String
    let certificates: FTCertificates
    let pid: pid_t
    private let work: String
    private var stopped = false

    static let script = #"""
    import http.server, ssl, sys, os, hashlib, threading, time
    # Exit with the test process, even if it dies before it can kill us.
    parent = os.getppid()
    def watch():
        while os.getppid() == parent: time.sleep(1)
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()
    root, cert, key, logpath, schemes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].split(',')
    log = open(logpath, 'a', buffering=1)
    lock = threading.RLock()
    pending, ready = set(), set()
    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def answer(self, code, body=b'', headers=()):
            # Logged before answering: a test reads the log as soon as rkt has the answer.
            with lock:
                log.write('%s %s %d inm=%s auth=%s\n' % (self.server.scheme, self.path, code,
                          self.headers.get('If-None-Match', ''), self.headers.get('Authorization', '')))
            self.send_response(code)
            for k, v in headers: self.send_header(k, v)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            if body: self.wfile.write(body)
        def do_GET(self):
            path, _, query = self.path.partition('?')
            rel = path.strip('/')
            if 'ac-discovery=1' in query.split('&'):
                f = os.path.join(root, '.discovery', rel, 'index.html')
            else:
                f = os.path.join(root, rel)
            if os.path.exists(f + '.auth'):
                if self.headers.get('Authorization', '') != open(f + '.auth').read().strip():
                    return self.answer(401)
            if f.endswith('.asc') and os.path.exists(f[:-4] + '.defer'):
                with lock:
                    if f[:-4] in ready:
                        ready.discard(f[:-4])
                    else:
                        pending.add(f[:-4])
                        return self.answer(202)
            if not os.path.isfile(f):
                return self.answer(404)
            data = open(f, 'rb').read()
            with lock:
                if f in pending:
                    pending.discard(f); ready.add(f)
            etag = '"%s"' % hashlib.sha256(data).hexdigest()[:16]
            cc = open(f + '.cache-control').read().strip() if os.path.exists(f + '.cache-control') else 'no-cache'
            headers = [('ETag', etag), ('Cache-Control', cc)]
            if self.headers.get('If-None-Match', '') == etag:
                return self.answer(304, b'', headers)
            self.answer(200, data, headers)
    def serve(scheme, port):
        srv = http.server.ThreadingHTTPServer(('127.0.0.1', port), H)
        srv.scheme = scheme
        if scheme == 'https':
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        return srv
    servers = [serve(s, 443 if s == 'https' else 80) for s in schemes]
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print('ready', flush=True)
    servers[0].serve_forever()
    """#

    /// `https` and/or `http` listeners (at least one).
    init(root: String, https: Bool = true, http: Bool = true) throws {
        self.root = root
        work = root + "/.server"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/.discovery", withIntermediateDirectories: true)
        certificates = try FTCertificates(in: work + "/tls")
        try FTServer.script.write(toFile: work + "/srv.py", atomically: true, encoding: .utf8)
        let schemes = (https ? ["https"] : []) + (http ? ["http"] : [])
        let process = try spawnProcess(
            "/usr/bin/unshare",
            ["--net", "--", "/bin/sh", "-c", "ip link set lo up && exec /usr/bin/python3 \"$@\"", "sh",
             work + "/srv.py", root, certificates.certFile, certificates.keyFile, work + "/requests.log",
             schemes.joined(separator: ",")],
            environment: ProcessInfo.processInfo.environment, stdinPath: nil,
            stdoutPath: work + "/out", stderrPath: work + "/err")
        pid = process.pid
        guard process.waitForOutput("ready", timeout: 30) else {
            process.kill(SIGKILL)
            _ = process.wait(timeout: 10)
            let err = (try? String(contentsOfFile: work + "/err", encoding: .utf8)) ?? ""
            throw HarnessError("test server did not start: \(err)")
        }
        self.process = process
    }

    private var process: SpawnedProcess?

    /// The server's network namespace, for `nsenter --net=`.
    var netns: String { "/proc/\(pid)/ns/net" }

    /// Logged requests, one `scheme path status inm=… auth=…` line each.
    var requests: [String] {
        ((try? String(contentsOfFile: work + "/requests.log", encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }

    /// Requests whose path (with query) is `path`.
    func requests(for path: String) -> [String] {
        requests.filter { $0.split(separator: " ").dropFirst().first.map(String.init) == path }
    }

    /// Writes `content` at `root/rel` (directories created).
    @discardableResult
    func put(_ rel: String, _ content: String) throws -> String {
        let path = root + "/" + rel
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Copies `file` to `root/rel`.
    @discardableResult
    func put(_ rel: String, copying file: String) throws -> String {
        let path = root + "/" + rel
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: file, toPath: path)
        return path
    }

    /// A discovery page for `level` ("" for the host) with `ac-discovery` templates and
    /// `ac-discovery-pubkeys` key URLs, each `(prefix, template)`.
    func putDiscovery(at level: String, images: [(String, String)] = [], keys: [(String, String)] = []) throws {
        let metas = images.map { "<meta name=\"ac-discovery\" content=\"\($0.0) \($0.1)\">" }
            + keys.map { "<meta name=\"ac-discovery-pubkeys\" content=\"\($0.0) \($0.1)\">" }
        let dir = level.isEmpty ? ".discovery" : ".discovery/" + level
        try put(dir + "/index.html", "<html><head>\n" + metas.joined(separator: "\n") + "\n</head><body></body></html>\n")
    }

    func stop() {
        guard !stopped, let process else { return }
        stopped = true
        process.kill(SIGKILL)
        _ = process.wait(timeout: 10)
    }

    deinit { stop() }
}

extension RktTestEnv {
    /// `rkt <global flags> args…` inside `server`'s network namespace, trusting its test CA
    /// through `SSL_CERT_FILE` (unless `env` says otherwise).
    func rkt(in server: FTServer, _ args: [String], env: [String: String] = [:], timeout: Double = 120) -> CommandResult {
        do {
            let id = UUID().uuidString.prefix(8)
            let io = tmpDir + "/.io-\(id)"
            var e = ["SSL_CERT_FILE": server.certificates.caFile]
            for (k, v) in env { e[k] = v }
            let p = try spawnProcess(
                "/usr/bin/nsenter", ["--net=\(server.netns)", "--", RktBuild.rkt] + globalFlags + args,
                environment: environment(e), stdinPath: nil, stdoutPath: io + ".out", stderrPath: io + ".err")
            return p.wait(timeout: timeout)
        } catch {
            return CommandResult(exit: -1, stdout: "", stderr: "harness: \(error)")
        }
    }

    /// rkt on a pseudo-terminal inside `server`'s network namespace (key review prompts).
    func spawnPty(in server: FTServer, _ args: [String]) throws -> PtyProcess {
        try PtyProcess(
            "/usr/bin/nsenter", ["--net=\(server.netns)", "--", RktBuild.rkt] + globalFlags + args,
            environment: environment(["SSL_CERT_FILE": server.certificates.caFile]))
    }

    /// Names of the images in the store (`image list`).
    func storedImageNames() -> [String] {
        let r = rkt(["image", "list", "--no-legend", "--fields=name"])
        return r.stdout.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Files in the content-addressed store (`cas/blob/**` and `cas/tmp`), so a refused image
    /// is seen to leave nothing behind even outside the index.
    func casFiles() -> [String] {
        ["/cas/blob", "/cas/tmp"].flatMap { sub -> [String] in
            let dir = dataDir + sub
            guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
            return e.compactMap { $0 as? String }.filter { rel in
                var st = stat()
                return lstat(dir + "/" + rel, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
            }
        }
    }
}
