import Foundation
import RktCommon
import RktOS
import Testing

@testable import Stage0
@testable import Stage0Core

/// A tiny HTTP server on 127.0.0.1 (python3), started per test and killed by pid. It serves one
/// ACI under several paths and records each request's path, status and If-None-Match.
final class TestHTTPServer {
    static let script = #"""
    import http.server, sys, threading, os, time
    # Exit with the test process, even if it dies before it can kill us.
    parent = os.getppid()
    def watch():
        while os.getppid() == parent: time.sleep(1)
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()
    aci = open(sys.argv[1], "rb").read()
    log = open(sys.argv[2], "a", buffering=1)
    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def do_GET(self):
            p = self.path.split("?")[0]
            inm = self.headers.get("If-None-Match", "")
            if p == "/auth.aci" and self.headers.get("Authorization", "") != "Bearer sometoken":
                return self.reply(401, p, inm)
            if p == "/basic.aci" and self.headers.get("Authorization", "") != "Basic dXNlcjpwYXNz":
                return self.reply(401, p, inm)
            if p not in ("/revalidate.aci", "/cached.aci", "/auth.aci", "/basic.aci"):
                return self.reply(404, p, inm)
            if inm == '"v1"':
                return self.reply(304, p, inm)
            # Logged before answering: the client reads the log as soon as it has the answer.
            log.write("%s %d %s\n" % (p, 200, inm))
            self.send_response(200)
            self.send_header("ETag", '"v1"')
            self.send_header("Cache-Control", "max-age=3600" if p == "/cached.aci" else "no-cache")
            self.send_header("Content-Length", str(len(aci)))
            self.end_headers()
            self.wfile.write(aci)
        def reply(self, code, p, inm):
            log.write("%s %d %s\n" % (p, code, inm))
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()
    s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    print(s.server_address[1], flush=True)
    s.serve_forever()
    """#

    let pid: pid_t
    let port: Int
    let logPath: String

    /// Spawned through RktOS's Subprocess, which resets the signal mask: Foundation's `Process`
    /// passes on the blocked mask of the Swift Testing worker thread, so the server would ignore
    /// SIGTERM/SIGKILL-less termination and `waitUntilExit` would hang forever.
    init(serving aci: String, in dir: String) throws {
        let scriptPath = dir + "/server.py"
        logPath = dir + "/requests.log"
        let outPath = dir + "/server.out"
        try Self.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard out >= 0 else { throw RktError.errno("cannot create", outPath) }
        defer { close(out) }
        var sub = Subprocess(path: "/usr/bin/python3", argv: ["python3", "-u", scriptPath, aci, logPath])
        sub.fds = [1: out, 2: out]
        pid = try sub.spawn()
        // The server prints its port once it listens; give it 30 s.
        var reported: Int?
        for _ in 0..<300 {
            let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first, text.contains("\n") {
                reported = Int(line.trimmingCharacters(in: .whitespaces))
                break
            }
            usleep(100_000)
        }
        guard let p = reported else {
            kill(pid, SIGKILL)
            _ = try? Subprocess.wait(pid)
            throw RktError("test server did not report its port")
        }
        port = p
    }

    /// `path status if-none-match` lines, one per request answered.
    var requests: [String] {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    deinit {
        kill(pid, SIGKILL)
        _ = try? Subprocess.wait(pid)
    }
}

/// A temp directory with a minimal valid ACI (`manifest` + `rootfs/hello`) built with tar.
final class FetchFixture {
    let dir: String
    let aci: String

    init() throws {
        dir = NSTemporaryDirectory() + "rkt-fetch-\(UUID().uuidString)"
        let layout = dir + "/layout"
        try FileManager.default.createDirectory(atPath: layout + "/rootfs", withIntermediateDirectories: true)
        let manifest = #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/fetch-test","labels":[{"name":"version","value":"1.0"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}"#
        try manifest.write(toFile: layout + "/manifest", atomically: true, encoding: .utf8)
        try "hello\n".write(toFile: layout + "/rootfs/hello", atomically: true, encoding: .utf8)
        aci = dir + "/fetch-test.aci"
        let tar = try Subprocess(path: "/bin/tar", argv: ["tar", "-C", layout, "-cf", aci, "manifest", "rootfs"]).run()
        guard tar == .exited(0) else { throw RktError("tar failed building the test ACI") }
    }

    func context(insecure: InsecureOptions = [.image], localConfig: String? = nil) throws -> Stage0Context {
        try Stage0Context(
            dir: dir + "/data", systemConfigDir: dir + "/no-system-config",
            localConfigDir: localConfig ?? dir + "/no-local-config", insecure: insecure)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }
}

@Suite("Fetch: files and HTTP with the remote cache", .serialized)
struct FetchHTTPTests {
    @Test("a local file needs --insecure-options=image, then imports and resolves by hash and name")
    func fileFetch() throws {
        let f = try FetchFixture()
        let strict = try f.context(insecure: [])
        let err = #expect(throws: RktError.self) {
            try ImageFetcher(context: strict, store: ImageStore(dataDir: strict.dataDir)).fetch(f.aci, pullPolicy: .new)
        }
        #expect(err?.description.contains("--insecure-options=image") == true)

        let ctx = try f.context()
        let store = try ImageStore(dataDir: ctx.dataDir)
        let fetcher = ImageFetcher(context: ctx, store: store)
        let key = try fetcher.fetch(f.aci, pullPolicy: .new)
        #expect(key.hasPrefix("sha512-") && key.count == 71)
        #expect(try fetcher.fetch(String(key.prefix(20)), pullPolicy: .never) == key)
        #expect(try fetcher.fetch("example.com/fetch-test:1.0", pullPolicy: .new) == key)
        #expect(throws: RktError.self) { try fetcher.fetch("example.com/missing", pullPolicy: .never) }
    }

    @Test("update revalidates with the stored ETag and reuses the image on 304")
    func revalidate() throws {
        let f = try FetchFixture()
        let server = try TestHTTPServer(serving: f.aci, in: f.dir)
        let ctx = try f.context()
        let fetcher = ImageFetcher(context: ctx, store: try ImageStore(dataDir: ctx.dataDir))
        let url = server.url("/revalidate.aci")
        let key = try fetcher.fetch(url, pullPolicy: .update)
        #expect(try fetcher.fetch(url, pullPolicy: .update) == key)
        #expect(server.requests == ["/revalidate.aci 200 ", "/revalidate.aci 304 \"v1\""])
        #expect(try ImageStore(dataDir: ctx.dataDir).remote(url: url)?.etag == "\"v1\"")
    }

    @Test("new and never use the stored image without a request; update asks the server")
    func pullPolicies() throws {
        let f = try FetchFixture()
        let server = try TestHTTPServer(serving: f.aci, in: f.dir)
        let ctx = try f.context()
        let fetcher = ImageFetcher(context: ctx, store: try ImageStore(dataDir: ctx.dataDir))
        let url = server.url("/revalidate.aci")
        let key = try fetcher.fetch(url, pullPolicy: .new)
        #expect(server.requests.count == 1)
        #expect(try fetcher.fetch(url, pullPolicy: .new) == key)
        #expect(try fetcher.fetch(url, pullPolicy: .never) == key)
        #expect(server.requests.count == 1)
        #expect(try fetcher.fetch(url, pullPolicy: .update) == key)
        #expect(server.requests == ["/revalidate.aci 200 ", "/revalidate.aci 304 \"v1\""])
    }

    @Test("a max-age still in force means no request at all under update")
    func maxAge() throws {
        let f = try FetchFixture()
        let server = try TestHTTPServer(serving: f.aci, in: f.dir)
        let ctx = try f.context()
        let fetcher = ImageFetcher(context: ctx, store: try ImageStore(dataDir: ctx.dataDir))
        let url = server.url("/cached.aci")
        let key = try fetcher.fetch(url, pullPolicy: .update)
        #expect(try fetcher.fetch(url, pullPolicy: .update) == key)
        #expect(server.requests == ["/cached.aci 200 "])
    }

    @Test("never without a remote row fails; an HTTP error names the status")
    func failures() throws {
        let f = try FetchFixture()
        let server = try TestHTTPServer(serving: f.aci, in: f.dir)
        let ctx = try f.context()
        let fetcher = ImageFetcher(context: ctx, store: try ImageStore(dataDir: ctx.dataDir))
        #expect(throws: RktError.self) { try fetcher.fetch(server.url("/revalidate.aci"), pullPolicy: .never) }
        let err = #expect(throws: RktError.self) { try fetcher.fetch(server.url("/missing.aci"), pullPolicy: .update) }
        #expect(err?.description.contains("bad HTTP status code: 404") == true)
        #expect(server.requests == ["/missing.aci 404 "])
    }

    @Test("auth.d oauth credentials are sent to their host")
    func authHeaders() throws {
        let f = try FetchFixture()
        let server = try TestHTTPServer(serving: f.aci, in: f.dir)
        let noAuth = try f.context()
        let err = #expect(throws: RktError.self) {
            try ImageFetcher(context: noAuth, store: ImageStore(dataDir: noAuth.dataDir)).fetch(server.url("/auth.aci"), pullPolicy: .update)
        }
        #expect(err?.description.contains("bad HTTP status code: 401") == true)

        let local = f.dir + "/local"
        try FileManager.default.createDirectory(atPath: local + "/auth.d", withIntermediateDirectories: true)
        try #"{"rktKind":"auth","rktVersion":"v1","domains":["127.0.0.1:\#(server.port)"],"type":"oauth","credentials":{"token":"sometoken"}}"#
            .write(toFile: local + "/auth.d/test.json", atomically: true, encoding: .utf8)
        let withAuth = try f.context(localConfig: local)
        let key = try ImageFetcher(context: withAuth, store: ImageStore(dataDir: withAuth.dataDir)).fetch(server.url("/auth.aci"), pullPolicy: .update)
        #expect(key.hasPrefix("sha512-"))
        #expect(server.requests.last == "/auth.aci 200 ")
    }

    @Test("auth.d basic credentials are sent to their host")
    func basicAuth() throws {
        let f = try FetchFixture()
        let server = try TestHTTPServer(serving: f.aci, in: f.dir)
        let local = f.dir + "/local"
        try FileManager.default.createDirectory(atPath: local + "/auth.d", withIntermediateDirectories: true)
        try #"{"rktKind":"auth","rktVersion":"v1","domains":["127.0.0.1:\#(server.port)"],"type":"basic","credentials":{"user":"user","password":"pass"}}"#
            .write(toFile: local + "/auth.d/test.json", atomically: true, encoding: .utf8)
        let ctx = try f.context(localConfig: local)
        let key = try ImageFetcher(context: ctx, store: ImageStore(dataDir: ctx.dataDir)).fetch(server.url("/basic.aci"), pullPolicy: .update)
        #expect(key.hasPrefix("sha512-"))
        #expect(server.requests == ["/basic.aci 200 "])
    }
}

@Suite("Fetch: the download progress bar")
struct ProgressBarTests {
    final class Sink: @unchecked Sendable {
        let lock = NSLock()
        var text = ""
        func write(_ s: String) { lock.lock(); text += s; lock.unlock() }
    }

    @Test("rkt's text bar: label, twenty cells, received/total; bytes only without a total")
    func format() {
        #expect(ProgressBar.line(label: "Downloading ACI", received: 500_000, total: 1_000_000)
            == "Downloading ACI: [==========          ] 500 kB/1.0 MB")
        #expect(ProgressBar.line(label: "Downloading ACI", received: 1_000_000, total: 1_000_000)
            == "Downloading ACI: [====================] 1.0 MB/1.0 MB")
        #expect(ProgressBar.line(label: "Downloading ACI", received: 2_000, total: nil) == "Downloading ACI: 2.0 kB")
    }

    @Test("redraws in place at most every 100 ms, always when forced, and ends its line once")
    func throttle() {
        let sink = Sink()
        let bar = ProgressBar(label: "L", write: { sink.write($0) })
        bar.update(received: 1, total: 10)
        bar.update(received: 2, total: 10)
        #expect(sink.text == "\rL: [==                  ] 1 B/10 B")
        bar.update(received: 10, total: 10, force: true)
        bar.finish()
        bar.finish()
        #expect(sink.text.hasSuffix("\rL: [====================] 10 B/10 B\n"))
        #expect(sink.text.filter { $0 == "\n" }.count == 1)
    }
}
