import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Helpers for the CNI networking tests (NetworkTests*.swift). Every check of host state looks
/// only at what belongs to the test's own pods (their UUIDs, addresses, host-side links and
/// port-forward chains): other suites start pods on the default network at the same time.
enum NetTest {
    /// The busybox image serving its whole root over HTTP: `GET /etc/hostname` answers
    /// `rkt-<uuid>`, which tells the test it reached its own pod. Ports `http` (80) and `alt`
    /// (8080) are named for `--port`.
    static func httpImage() throws -> String {
        try TestImages.busybox {
            $0.name = "coreos.com/rkt-net-httpd"
            $0.setExec(["/bin/sh", "-c", "httpd -p 8080 -h / && exec httpd -f -p 80 -h /"])
            $0.addPort(name: "http", port: 80)
            $0.addPort(name: "alt", port: 8080)
        }
    }

    /// stderr without rkt's warnings (the harness's `--insecure-options=image` adds one).
    static func errorLines(_ r: CommandResult) -> [String] {
        r.stderr.split(separator: "\n").map(String.init).filter { !$0.contains("warning:") }
    }

    /// Starts a long-running pod (`rkt run` in the background) and waits until `rkt status`
    /// reports it running with every network it asked for; returns the pod and its status.
    static func startPod(_ env: RktTestEnv, _ args: [String], networks: Int = 1, timeout: Double = 90) throws -> RunningPod {
        let uuidFile = env.tmpDir + "/uuid-\(UUID().uuidString.prefix(8))"
        let p = try env.spawn(["run", env.stage1Flag, "--uuid-file-save=\(uuidFile)"] + args)
        let deadline = Date().addingTimeInterval(timeout)
        var last = CommandResult(exit: -1, stdout: "", stderr: "")
        while Date() < deadline {
            if !p.isRunning { throw HarnessError("pod exited before it was up: \(p.wait(timeout: 1))") }
            let uuid = ((try? String(contentsOfFile: uuidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if uuid.count == 36 {
                last = env.rkt(["status", uuid])
                let kv = parseKeyValues(last.stdout)
                let ips = NetTest.networks(kv["networks"] ?? "")
                if kv["state"] == "running" && ips.count >= networks && ips.allSatisfy({ !$0.ip.isEmpty }) {
                    return RunningPod(process: p, uuid: uuid, networks: ips, podDir: env.dataDir + "/pods/run/" + uuid)
                }
            }
            usleep(100_000)
        }
        throw HarnessError("pod did not come up in \(timeout)s: \(last)\n\(p.output)")
    }

    /// `default:ip4=172.16.28.5, mynet:ip4=10.1.2.3` (status/list) → [(net, ip)].
    static func networks(_ text: String) -> [(name: String, ip: String)] {
        text.split(separator: ",").compactMap { item in
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[1].hasPrefix("ip4=") else { return nil }
            return (String(parts[0]), String(parts[1].dropFirst(4)))
        }
    }

    /// An HTTP/1.0 GET from the host; the body, or nil when nothing answered before `timeout`
    /// (retried, because the server in a pod starts a moment after the pod's network is up).
    static func httpGet(_ host: String, _ port: Int, path: String = "/etc/hostname", timeout: Double = 20) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if let body = httpGetOnce(host, port, path: path) { return body }
            usleep(200_000)
        } while Date() < deadline
        return nil
    }

    static func httpGetOnce(_ host: String, _ port: Int, path: String) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var tv = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &sa.sin_addr) == 1 else { return nil }
        let ok = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else { return nil }
        let req = Array("GET \(path) HTTP/1.0\r\nHost: \(host)\r\n\r\n".utf8)
        guard write(fd, req, req.count) == req.count else { return nil }
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            data += buf[0..<n]
        }
        let text = String(decoding: data, as: UTF8.self)
        guard text.hasPrefix("HTTP/1."), text.contains(" 200 "), let sep = text.range(of: "\r\n\r\n") else { return nil }
        return String(text[sep.upperBound...])
    }

    /// A random high TCP port that no nat rule mentions and nothing listens on.
    static func freePort() throws -> Int {
        let rules = try iptablesSave()
        for _ in 0..<100 {
            let port = Int.random(in: 20000...60000)
            if rules.contains("--dport \(port) ") || rules.contains(":\(port)") { continue }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = in_port_t(UInt16(port).bigEndian)
            let bound = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if bound == 0 { return port }
        }
        throw HarnessError("no free port found")
    }

    static func iptablesSave() throws -> String {
        var out = ""
        for table in ["nat", "filter"] {
            out += try mustRun("/usr/sbin/iptables-save", ["-t", table]).stdout
        }
        return out
    }

    static func ip(_ args: [String]) -> String {
        (try? runCommand("/usr/sbin/ip", args, timeout: 30))?.stdout ?? ""
    }

    /// The host's IPv4 addresses (`addr …`), routes (`route …`) and iptables rules (`rule …`)
    /// whose text mentions one of `needles`: for networks private to one test (own subnet and
    /// name) this is their whole footprint, comparable exactly before and after.
    static func hostState(mentioning needles: [String]) -> [String] {
        let sources = [
            ("addr", ip(["-4", "-o", "addr", "show"])), ("route", ip(["-4", "-o", "route", "show"])),
            ("rule", (try? iptablesSave()) ?? ""),
        ]
        return sources.flatMap { kind, text in
            text.split(separator: "\n").filter { line in needles.contains { line.contains($0) } }.map { "\(kind) \($0)" }
        }.sorted()
    }

    /// Interface names in the host's network namespace.
    static func hostLinks() -> Set<String> {
        Set(ip(["-o", "link", "show"]).split(separator: "\n").compactMap { line -> String? in
            let f = line.split(separator: ":", maxSplits: 2)
            guard f.count >= 2 else { return nil }
            return String(f[1].trimmingCharacters(in: .whitespaces).split(separator: "@").first ?? "")
        })
    }

    /// A user network file in the env's `<local-config>/net.d`. IPAM state goes to the test's
    /// own directory, so nothing of it outlives the test and no other test shares it.
    @discardableResult
    static func writeNetwork(_ env: RktTestEnv, file: String, _ json: String) throws -> String {
        let dir = env.localConfig + "/net.d"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try json.write(toFile: dir + "/" + file, atomically: true, encoding: .utf8)
        return dir + "/" + file
    }

    /// host-local IPAM for `subnet` (a /24 such as `10.233.7.0/24`) keeping its leases in the
    /// test env, as the `ipam` member of a plugin configuration.
    static func ipam(_ env: RktTestEnv, subnet: String, routes: String = "") -> String {
        """
        {"type": "host-local", "subnet": "\(subnet)", "dataDir": "\(ipamDir(env))"\(routes.isEmpty ? "" : ", \"routes\": \(routes)")}
        """
    }

    static func ipamDir(_ env: RktTestEnv) -> String { env.root + "/ipam" }

    /// Lease files (one per allocated IP) left in a private IPAM dir for network `name`.
    static func leases(_ env: RktTestEnv, network name: String) -> [String] {
        let dir = ipamDir(env) + "/" + name
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return files.filter { $0.first?.isNumber == true }
    }
}

/// A pod started by `NetTest.startPod`, with what it holds on the host.
struct RunningPod {
    var process: SpawnedProcess
    var uuid: String
    var networks: [(name: String, ip: String)]
    var podDir: String

    var ip: String { networks.first?.ip ?? "" }
    func ip(_ net: String) -> String { networks.first { $0.name == net }?.ip ?? "" }

    /// Stops the pod (SIGTERM), runs `rkt gc`, and returns gc's result and what is left on the
    /// host of the footprint `before`.
    func stopAndCollect(_ env: RktTestEnv, before: NetFootprint) -> (gc: CommandResult, left: NetFootprint) {
        process.kill(SIGTERM)
        _ = process.wait(timeout: 30)
        let gc = env.rkt(["gc", "--grace-period=0s"])
        return (gc, before.now(ips: networks.map(\.ip)))
    }

    /// What the pod holds on the host right now (to compare with after teardown).
    func footprint() -> NetFootprint { NetFootprint.of(uuid: uuid, ips: networks.map(\.ip)) }
}

/// Everything one pod's networking may leave on the host: its netns, its host-side links (the
/// ones routing its addresses), host routes to its addresses through those links, iptables rules
/// naming it (ptp's masquerade rules carry the container ID, port forwards the UUID's first 8
/// characters) and host-local leases recording its ID in the shared `/var/lib/cni/networks`.
struct NetFootprint: CustomStringConvertible {
    var uuid: String
    var netns: Bool
    var links: [String]
    var routes: [String]
    var rules: [String]
    var leases: [String]

    var isEmpty: Bool { !netns && links.isEmpty && routes.isEmpty && rules.isEmpty && leases.isEmpty }

    var description: String {
        "pod \(uuid): netns=\(netns) links=\(links) routes=\(routes) rules=\(rules) leases=\(leases)"
    }

    /// `knownLinks` are host links seen for this pod earlier (their names are random, so a link
    /// of that name existing later is this pod's).
    static func of(uuid: String, ips: [String], knownLinks: [String] = []) -> NetFootprint {
        let netns = FileManager.default.fileExists(atPath: "/var/run/netns/cni-\(uuid)")
        var links = Set<String>()
        var routes: [String] = []
        for ip in ips where !ip.isEmpty {
            for line in NetTest.ip(["-4", "-o", "route", "show", "to", ip + "/32"]).split(separator: "\n") {
                let f = line.split(separator: " ").map(String.init)
                guard let i = f.firstIndex(of: "dev"), i + 1 < f.count else { continue }
                // A route to one of its addresses through a link it had is this pod's; the same
                // address through another link belongs to a later pod that got the address.
                if knownLinks.isEmpty || knownLinks.contains(f[i + 1]) {
                    routes.append(String(line))
                    links.insert(f[i + 1])
                }
            }
        }
        let host = NetTest.hostLinks()
        for l in knownLinks where host.contains(l) { links.insert(l) }
        let short = String(uuid.filter { $0 != "-" }.prefix(8))
        let saved = (try? NetTest.iptablesSave()) ?? ""
        let rules = saved.split(separator: "\n").map(String.init).filter {
            $0.contains(uuid) || $0.contains("RKT-PFWD-DNAT-\(short)") || $0.contains("RKT-PFWD-SNAT-\(short)")
        }
        var leases: [String] = []
        let base = "/var/lib/cni/networks"
        for net in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] {
            for f in (try? FileManager.default.contentsOfDirectory(atPath: base + "/" + net)) ?? [] {
                let text = (try? String(contentsOfFile: base + "/" + net + "/" + f, encoding: .utf8)) ?? ""
                if text.contains(uuid) { leases.append(net + "/" + f) }
            }
        }
        return NetFootprint(uuid: uuid, netns: netns, links: links.sorted(), routes: routes, rules: rules, leases: leases)
    }

    /// The same pod's footprint now, following the links it had.
    func now(ips: [String]) -> NetFootprint {
        NetFootprint.of(uuid: uuid, ips: ips, knownLinks: links)
    }

    /// The footprint once an exited pod's detached network teardown (stage1 `net-teardown`) had
    /// up to `timeout` seconds to finish: empty if it did.
    func settled(ips: [String], timeout: Double = 10) -> NetFootprint {
        let deadline = Date().addingTimeInterval(timeout)
        var fp = now(ips: ips)
        while !fp.isEmpty && Date() < deadline {
            usleep(100_000)
            fp = now(ips: ips)
        }
        return fp
    }
}
