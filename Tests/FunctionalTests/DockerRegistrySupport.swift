import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Debian's `docker-registry` (distribution 2.8) on 127.0.0.1 with a free port and storage in a
/// temp dir. Killed by pid in `stop()`.
final class TestRegistry: @unchecked Sendable {
    let dir: String
    let port: Int
    let process: SpawnedProcess
    var host: String { "127.0.0.1:\(port)" }

    /// Basic-auth credentials the registry demands (htpasswd), if any.
    let credentials: (user: String, password: String)?

    /// `htpasswdUser` turns on the registry's htpasswd basic auth for `user`/`s3cret`.
    init(htpasswdUser: String? = nil) throws {
        dir = try makeTempDir(prefix: "rkt-registry")
        var auth = ""
        if let user = htpasswdUser {
            // bcrypt of "s3cret" (distribution only reads bcrypt entries).
            let hash = "$2b$12$3DHz4deOiKHutyM0kZEvGuxJQU7BC8B3lGi7pVQS3eQDPg48Y7/oy"
            try "\(user):\(hash)\n".write(toFile: dir + "/htpasswd", atomically: true, encoding: .utf8)
            auth = "auth:\n  htpasswd:\n    realm: rkt-test\n    path: \(dir)/htpasswd\n"
            credentials = (user, "s3cret")
        } else {
            credentials = nil
        }
        // The port is free when picked but may be taken before the registry binds it (tests run
        // in parallel): then the registry exits, and another port is tried.
        for _ in 0..<5 {
            let port = try Self.freePort()
            if let p = try Self.start(dir: dir, port: port, auth: auth) {
                self.port = port
                process = p
                return
            }
        }
        try? FileManager.default.removeItem(atPath: dir)
        throw HarnessError("docker-registry did not come up (see its stderr in \(dir))")
    }

    /// Starts the registry on `port`; nil when it exited instead of serving.
    private static func start(dir: String, port: Int, auth: String) throws -> SpawnedProcess? {
        let config = """
        version: 0.1
        log:
          level: error
        storage:
          filesystem:
            rootdirectory: \(dir)/storage
        http:
          addr: 127.0.0.1:\(port)
        \(auth)
        """
        try config.write(toFile: dir + "/config.yml", atomically: true, encoding: .utf8)
        let process = try spawnProcess(
            "/usr/bin/docker-registry", ["serve", dir + "/config.yml"],
            environment: ProcessInfo.processInfo.environment, stdinPath: nil,
            stdoutPath: dir + "/stdout", stderrPath: dir + "/stderr")
        for _ in 0..<100 {
            guard process.isRunning else { return nil }
            // Still running a moment after the port answers: the answer is ours.
            if accepts(port: port) {
                usleep(200_000)
                if process.isRunning { return process }
                return nil
            }
            usleep(100_000)
        }
        stopServer(process, dir: nil)
        return nil
    }

    /// True when something accepts TCP connections on 127.0.0.1:`port`.
    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Binds port 0 on loopback to let the kernel pick, then releases it.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Int32 in
                guard bind(fd, p, len) == 0 else { return -1 }
                return getsockname(fd, p, &len)
            }
        }
        guard rc == 0 else { throw HarnessError("bind failed") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// `skopeo copy oci:LAYOUT:TAG docker://HOST/NAME:TAG` (with `--all` for indexes);
    /// `format: "v2s2"` converts to Docker schema 2 on the way.
    func push(layout: String, tag: String, as name: String, all: Bool = false, format: String? = nil) throws {
        var args = ["copy", "--quiet", "--dest-tls-verify=false"]
        if all { args.append("--all") }
        if let credentials { args += ["--dest-creds", "\(credentials.user):\(credentials.password)"] }
        if let format { args += ["--format", format] }
        args += ["oci:\(layout):\(tag)", "docker://\(host)/\(name)"]
        try mustRun("/usr/bin/skopeo", args, timeout: 300)
    }

    /// The registry's on-disk copy of a blob (to corrupt it behind the registry's back).
    func blobPath(_ digest: String) -> String {
        let hex = digest.dropFirst("sha256:".count)
        return "\(dir)/storage/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data"
    }

    func stop() { stopServer(process, dir: dir) }

    deinit { stop() }
}

/// A small Python front for a `TestRegistry` on 127.0.0.1 (started and killed by pid): it passes
/// GET/HEAD requests through and logs them, and can
/// - demand a bearer token (`bearer: (user, password)`): `/v2/…` answers 401 with a
///   `WWW-Authenticate: Bearer realm=…/token,service=rkt-test-registry,scope=…` challenge, and
///   `/token` hands out a token (as `access_token`) only for those basic credentials;
/// - hold every blob response for `blobDelay` seconds, recording how many were in flight at once.
final class RegistryFront: @unchecked Sendable {
    let dir: String
    let port: Int
    private let process: SpawnedProcess
    var host: String { "127.0.0.1:\(port)" }

    static let script = #"""
    import http.server, http.client, json, sys, threading, time, base64, secrets
    upstream, logpath, portfile, bearer, delay = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
    lock = threading.Lock()
    state = {"inflight": 0, "max": 0}
    tokens = set()
    def log(line):
        with lock:
            with open(logpath, "a") as f: f.write(line + "\n")
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *a): pass
        def reply(self, status, headers, body):
            self.send_response(status)
            for k, v in headers: self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD": self.wfile.write(body)
        def handle_any(self):
            auth = self.headers.get("Authorization", "")
            path, _, query = self.path.partition("?")
            log("%s %s auth=%s" % (self.command, self.path, auth.split(" ")[0] if auth else "none"))
            if path == "/token":
                ok = auth == "Basic " + base64.b64encode(bearer.encode()).decode()
                log("token %s basic=%s" % (query, "ok" if ok else "bad"))
                if not ok: return self.reply(401, [], b'{"errors":[{"code":"UNAUTHORIZED"}]}')
                t = secrets.token_hex(16); tokens.add(t)
                return self.reply(200, [("Content-Type", "application/json")], json.dumps({"access_token": t, "expires_in": 300}).encode())
            if bearer != "-" and not (auth.startswith("Bearer ") and auth[7:] in tokens):
                realm = "http://%s/token" % self.headers.get("Host")
                ch = 'Bearer realm="%s",service="rkt-test-registry"' % realm
                parts = path.split("/")
                if len(parts) > 3: ch += ',scope="repository:%s:pull"' % "/".join(parts[2:-2])
                return self.reply(401, [("WWW-Authenticate", ch), ("Docker-Distribution-API-Version", "registry/2.0")], b'{"errors":[{"code":"UNAUTHORIZED"}]}')
            blob = "/blobs/" in path and self.command == "GET"
            if blob:
                with lock:
                    state["inflight"] += 1; state["max"] = max(state["max"], state["inflight"])
                time.sleep(delay)
            try:
                c = http.client.HTTPConnection(upstream, timeout=60)
                c.request(self.command, self.path, headers={k: v for k, v in self.headers.items() if k.lower() in ("accept",)})
                r = c.getresponse(); body = r.read()
                hs = [(k, v) for k, v in r.getheaders() if k.lower() not in ("content-length", "connection", "transfer-encoding")]
                self.reply(r.status, hs, body)
            finally:
                if blob:
                    with lock:
                        state["inflight"] -= 1
                    log("max-blobs-in-flight %d" % state["max"])
        do_GET = handle_any
        do_HEAD = handle_any
    class S(http.server.ThreadingHTTPServer):
        daemon_threads = True
    srv = S(("127.0.0.1", 0), H)
    with open(portfile + ".tmp", "w") as f: f.write(str(srv.server_address[1]))
    import os; os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()
    """#

    init(upstream: TestRegistry, bearer: (user: String, password: String)? = nil, blobDelay: Double = 0) throws {
        dir = try makeTempDir(prefix: "rkt-registry-front")
        try Self.script.write(toFile: dir + "/front.py", atomically: true, encoding: .utf8)
        let portFile = dir + "/port"
        process = try spawnProcess(
            "/usr/bin/python3",
            [dir + "/front.py", upstream.host, dir + "/log", portFile, bearer.map { "\($0.user):\($0.password)" } ?? "-", String(blobDelay)],
            environment: ProcessInfo.processInfo.environment, stdinPath: nil,
            stdoutPath: dir + "/stdout", stderrPath: dir + "/stderr")
        var found: Int? = nil
        for _ in 0..<100 {
            if let s = try? String(contentsOfFile: portFile, encoding: .utf8), let p = Int(s) { found = p; break }
            if !process.isRunning { break }
            usleep(100_000)
        }
        guard let found else {
            let err = process.stderr
            stopServer(process, dir: dir)
            throw HarnessError("registry front did not start: \(err)")
        }
        port = found
    }

    /// Every request line so far (`GET /v2/… auth=Bearer`, `token service=… basic=ok`, …).
    var log: [String] {
        ((try? String(contentsOfFile: dir + "/log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// The most blob responses the front held at the same time.
    var maxBlobsInFlight: Int {
        log.compactMap { $0.hasPrefix("max-blobs-in-flight ") ? Int($0.dropFirst("max-blobs-in-flight ".count)) : nil }.max() ?? 0
    }

    func stop() { stopServer(process, dir: dir) }

    deinit { stop() }
}

/// Stops a test server by its pid and removes its directory.
func stopServer(_ process: SpawnedProcess, dir: String?) {
    if process.isRunning {
        process.kill(SIGTERM)
        process.wait(timeout: 10)
    }
    if let dir { try? FileManager.default.removeItem(atPath: dir) }
}
