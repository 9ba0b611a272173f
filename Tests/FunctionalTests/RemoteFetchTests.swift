import Foundation
import Testing

/// `rkt fetch http(s)://…aci`: pull policies and the remote cache (ETag, max-age), counted by the
/// server's requests, and auth.d credentials (rkt-functional-tests.md P2-13, appc-docker-cni.md §7).
@Suite("rkt fetch over HTTP(S): pull policies, cache, auth.d")
struct RemoteFetchTests {
    static func setup(_ env: RktTestEnv) throws -> (FTServer, String) {
        let server = try FTServer(root: env.tmpDir + "/www")
        let aci = try TestImages.inspect { $0.name = "example.com/remote"; $0.setExec("/inspect --print-msg=Remote") }
        try server.put("img/remote.aci", copying: aci)
        return (server, "/img/remote.aci")
    }

    @Test("new and never use the store without a request; update revalidates with the ETag (304)")
    func pullPolicies() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let (server, path) = try Self.setup(env)
        defer { server.stop() }
        let url = "https://localhost" + path

        var r = env.rkt(in: server, ["fetch", "--pull-policy=never", url])
        #expect(r.exit == 254 && r.stderr.contains("unable to fetch image from URL"), "\(r)")
        #expect(server.requests(for: path).isEmpty)

        r = env.rkt(in: server, ["fetch", "--pull-policy=new", url])
        #expect(r.exit == 0 && r.stdout.hasPrefix("sha512-"), "\(r)")
        let id = r.stdout
        #expect(server.requests(for: path).count == 1)
        r = env.rkt(in: server, ["fetch", "--pull-policy=new", url])
        #expect(r.exit == 0 && r.stdout == id, "\(r)")
        r = env.rkt(in: server, ["fetch", "--pull-policy=never", url])
        #expect(r.exit == 0 && r.stdout == id, "\(r)")
        #expect(server.requests(for: path).count == 1, "\(server.requests)")

        // update (fetch's default): a conditional GET answered 304, same image.
        r = env.rkt(in: server, ["fetch", url])
        #expect(r.exit == 0 && r.stdout == id, "\(r)")
        let reqs = server.requests(for: path)
        #expect(reqs.count == 2 && reqs[1].contains(" 304 inm=\""), "\(reqs)")

        // `run` with the URL: new by default, from the store.
        r = env.rkt(in: server, ["run", env.stage1Flag, url])
        #expect(r.exit == 0 && r.stdout.contains("Remote"), "\(r)")
        #expect(server.requests(for: path).count == 2)
        #expect(env.storedImageNames().contains("example.com/remote:1.30.0"), "\(env.storedImageNames())")
    }

    @Test("a Cache-Control max-age in force means no request at all under update")
    func maxAge() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.extraGlobalFlags = ["--debug"]
        let (server, path) = try Self.setup(env)
        defer { server.stop() }
        try server.put("img/remote.aci.cache-control", "max-age=3600")
        let url = "https://localhost" + path
        var r = env.rkt(in: server, ["fetch", url])
        #expect(r.exit == 0 && r.stderr.contains("fetching image from \(url)"), "\(r)")
        r = env.rkt(in: server, ["fetch", url])
        #expect(r.exit == 0 && r.stderr.contains("image for \(url) isn't expired, not fetching."), "\(r)")
        #expect(server.requests(for: path).count == 1, "\(server.requests)")
    }

    @Test("auth.d basic and oauth credentials are sent to their host only")
    func authD() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let (server, _) = try Self.setup(env)
        defer { server.stop() }
        let aci = server.root + "/img/remote.aci"
        try server.put("basic/remote.aci", copying: aci)
        try server.put("basic/remote.aci.auth", "Basic dXNlcjpzZWNyZXQ=")  // user:secret
        try server.put("oauth/remote.aci", copying: aci)
        try server.put("oauth/remote.aci.auth", "Bearer t0ken")

        var r = env.rkt(in: server, ["fetch", "https://localhost/basic/remote.aci"])
        #expect(r.exit == 254 && r.stderr.contains("bad HTTP status code: 401"), "\(r)")

        try FileManager.default.createDirectory(atPath: env.localConfig + "/auth.d", withIntermediateDirectories: true)
        _ = try env.writeFile("../local/auth.d/basic.json", #"{"rktKind":"auth","rktVersion":"v1","domains":["localhost"],"type":"basic","credentials":{"user":"user","password":"secret"}}"#)
        r = env.rkt(in: server, ["fetch", "https://localhost/basic/remote.aci"])
        #expect(r.exit == 0 && r.stdout.hasPrefix("sha512-"), "\(r)")
        // Credentials belong to a host: the same server under another name gets none.
        r = env.rkt(in: server, ["fetch", "https://127.0.0.1/basic/remote.aci"])
        #expect(r.exit == 254 && r.stderr.contains("bad HTTP status code: 401"), "\(r)")
        #expect(server.requests(for: "/basic/remote.aci").map { $0.hasSuffix("auth=Basic dXNlcjpzZWNyZXQ=") } == [false, true, false])

        _ = try env.writeFile("../local/auth.d/oauth.json", #"{"rktKind":"auth","rktVersion":"v1","domains":["127.0.0.1"],"type":"oauth","credentials":{"token":"t0ken"}}"#)
        r = env.rkt(in: server, ["fetch", "https://127.0.0.1/oauth/remote.aci"])
        #expect(r.exit == 0 && r.stdout.hasPrefix("sha512-"), "\(r)")
        #expect(server.requests(for: "/oauth/remote.aci").last?.hasSuffix("auth=Bearer t0ken") == true)
    }

    @Test("plain http:// image URLs fetch too")
    func plainHTTP() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let (server, path) = try Self.setup(env)
        defer { server.stop() }
        let r = env.rkt(in: server, ["fetch", "http://localhost" + path])
        #expect(r.exit == 0 && r.stdout.hasPrefix("sha512-"), "\(r)")
        #expect(server.requests(for: path).first?.hasPrefix("http ") == true)
    }
}

@Suite("rkt fetch: download progress")
struct DownloadProgressTests {
    @Test("a progress bar on a terminal, nothing when stderr is not one")
    func progress() throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        let (server, path) = try RemoteFetchTests.setup(env)
        defer { server.stop() }
        var r = env.rkt(in: server, ["fetch", "https://localhost" + path])
        #expect(r.exit == 0 && !r.stderr.contains("Downloading"), "\(r)")

        try server.put("img/second.aci", copying: server.root + path)
        let pty = try env.spawnPty(in: server, ["fetch", "https://localhost/img/second.aci"])
        r = pty.wait(timeout: 120)
        #expect(r.exit == 0, "\(r)")
        // The last redraw shows the whole image: twenty `=` and equal received/total sizes.
        #expect(r.stdout.contains("\rDownloading ACI: [====================] "), "\(r)")
        #expect(r.stdout.contains("sha512-"), "\(r)")
    }
}
