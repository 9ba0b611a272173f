import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// User networks from `<local-config>/net.d`, per-network CNI_ARGS, several networks at once,
/// the plugin search path, CHECK, bad configurations, and DNS/hosts in the pod. Each test's
/// networks have their own names, subnets (10.233.N.0/24, N unique per test) and IPAM directory.
@Suite("CNI networking: configuration, DNS and hosts")
struct NetworkConfigTests {
    /// Network names must be unique on the host while tests run in parallel (ptp names its
    /// masquerade rules and host-local its lock after them).
    static func netName(_ base: String) -> String { "nt-\(base)-\(UUID().uuidString.prefix(6).lowercased())" }

    @Test("a .conf and a .conflist network at once, with --net=NAME:IP=…, shown by status and list and gone after gc")
    func userNetworks() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let a = Self.netName("a"), b = Self.netName("b")
        try NetTest.writeNetwork(env, file: "10-a.conf", """
            {"cniVersion": "0.3.1", "name": "\(a)", "type": "ptp", "ipMasq": true, "ipam": \(NetTest.ipam(env, subnet: "10.233.1.0/24"))}
            """)
        try NetTest.writeNetwork(env, file: "20-b.conflist", """
            {"cniVersion": "0.4.0", "name": "\(b)", "plugins": [
              {"type": "ptp", "ipam": \(NetTest.ipam(env, subnet: "10.233.2.0/24"))},
              {"type": "tuning", "sysctl": {"net.ipv4.conf.eth1.rp_filter": "2"}}]}
            """)
        // The host's addresses, routes and iptables rules for these two private networks: none
        // before, some while the pod runs, exactly none again after gc.
        let slice = ["10.233.1.", "10.233.2.", a, b]
        let sliceBefore = NetTest.hostState(mentioning: slice)
        let pod = try NetTest.startPod(env, ["--net=\(b),\(a):IP=10.233.1.77", try NetTest.httpImage()], networks: 2)
        let sliceRunning = NetTest.hostState(mentioning: slice)
        #expect(sliceRunning.contains { $0.contains("MASQUERADE") } && sliceRunning.contains { $0.hasPrefix("route 10.233.2.") }, "\(sliceRunning)")
        // Applied in file-name order: a on eth0, b on eth1.
        #expect(pod.networks.map(\.name) == [a, b], "\(pod.networks)")
        #expect(pod.ip(a) == "10.233.1.77")
        #expect(pod.ip(b).hasPrefix("10.233.2."), "\(pod.networks)")
        for ip in [pod.ip(a), pod.ip(b)] { #expect(NetTest.httpGet(ip, 80) == "rkt-\(pod.uuid)\n", "\(ip)") }
        let inside = env.rkt(["enter", pod.uuid, "/bin/sh", "-c", "ip -4 -o addr; cat /proc/sys/net/ipv4/conf/eth1/rp_filter"])
        #expect(inside.stdout.contains("eth0    inet 10.233.1.77/24") || inside.stdout.contains("eth0 inet 10.233.1.77/24"), "\(inside)")
        #expect(inside.stdout.hasSuffix("2\n"), "the conflist's second plugin ran: \(inside)")

        let list = env.rkt(["list", "--no-legend"])
        #expect(list.stdout.contains("\(a):ip4=10.233.1.77") && list.stdout.contains("\(b):ip4=\(pod.ip(b))"), "\(list)")
        let status = env.rkt(["status", pod.uuid])
        #expect(status.stdout.contains("networks=\(a):ip4=10.233.1.77, \(b):ip4=\(pod.ip(b))"), "\(status)")
        #expect(NetTest.leases(env, network: a) == ["10.233.1.77"])
        #expect(NetTest.leases(env, network: b).count == 1)

        let before = pod.footprint()
        let (gc, after) = pod.stopAndCollect(env, before: before)
        #expect(gc.exit == 0, "\(gc)")
        #expect(after.isEmpty, "\(after)")
        #expect(NetTest.leases(env, network: a).isEmpty && NetTest.leases(env, network: b).isEmpty)
        #expect(NetTest.hostState(mentioning: slice) == sliceBefore)
    }

    /// A plugin in `<local-config>/net.d` that logs each command and hands over to ptp; with
    /// `FAIL_CHECK` in its configuration it fails CHECK.
    static func writeLoggingPlugin(_ env: RktTestEnv) throws -> String {
        let log = env.tmpDir + "/plugin.log"
        try FileManager.default.createDirectory(atPath: env.localConfig + "/net.d", withIntermediateDirectories: true)
        let script = """
            #!/bin/sh
            conf=$(cat)
            prev=no; case "$conf" in *prevResult*) prev=yes;; esac
            echo "$CNI_COMMAND $CNI_IFNAME prev=$prev" >> \(log)
            if [ "$CNI_COMMAND" = CHECK ]; then case "$conf" in *FAIL_CHECK*)
              echo '{"cniVersion":"0.4.0","code":100,"msg":"check refused on purpose"}'; exit 1;; esac; fi
            for d in $(echo "$CNI_PATH" | tr : ' '); do
              [ -x "$d/ptp" ] && { printf '%s' "$conf" | "$d/ptp"; exit $?; }
            done
            exit 1
            """
        let path = env.localConfig + "/net.d/nt-logging"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return log
    }

    @Test("plugins are found in <local-config>/net.d; a 0.4.0 network gets ADD, CHECK and DEL with prevResult, a 0.1.0 one ADD and DEL")
    func pluginPathAndCheck() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let log = try Self.writeLoggingPlugin(env)
        let new = Self.netName("new"), old = Self.netName("old")
        try NetTest.writeNetwork(env, file: "10-new.conf", """
            {"cniVersion": "0.4.0", "name": "\(new)", "type": "nt-logging", "ipam": \(NetTest.ipam(env, subnet: "10.233.3.0/24"))}
            """)
        try NetTest.writeNetwork(env, file: "20-old.conf", """
            {"name": "\(old)", "type": "nt-logging", "ipam": \(NetTest.ipam(env, subnet: "10.233.4.0/24"))}
            """)
        let r = env.run(["--net=\(new),\(old)", try TestImages.busybox(), "--exec=/bin/sh", "--", "-c", "ip -4 -o addr"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("inet 10.233.3.") && r.stdout.contains("inet 10.233.4."), "\(r)")
        // The DELs run in a detached process right after the pod exits.
        let want = ["ADD eth0 prev=no", "CHECK eth0 prev=yes", "ADD eth1 prev=no", "DEL eth1 prev=no", "DEL eth0 prev=yes"]
        var calls: [String] = []
        #expect(PodCommandsTests.eventually(10) {
            calls = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            return calls == want
        }, "\(calls)")
        #expect(PodCommandsTests.eventually(10) {
            NetTest.leases(env, network: new).isEmpty && NetTest.leases(env, network: old).isEmpty
        })
    }

    @Test("a failing CHECK fails the run with one line and exit 254, after DEL of what ADD made, and no app starts")
    func failingCheckRollsBack() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let log = try Self.writeLoggingPlugin(env)
        let net = Self.netName("chk")
        try NetTest.writeNetwork(env, file: "10-chk.conf", """
            {"cniVersion": "0.4.0", "name": "\(net)", "type": "nt-logging", "FAIL_CHECK": true, "ipam": \(NetTest.ipam(env, subnet: "10.233.5.0/24"))}
            """)
        let uuidFile = env.tmpDir + "/uuid"
        // pod-init mounts while the plugins run, but starts no app in a network that failed.
        let r = env.run(["--net=\(net)", "--uuid-file-save=\(uuidFile)", try TestImages.busybox(),
                         "--exec=/bin/sh", "--", "-c", "echo app-started"])
        #expect(r.exit == 254, "\(r)")
        #expect(r.stderr.contains("check refused on purpose") && NetTest.errorLines(r).count == 1, "\(r)")
        #expect(!r.stdout.contains("app-started"), "\(r)")
        let calls = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        #expect(calls == ["ADD eth0 prev=no", "CHECK eth0 prev=yes", "DEL eth0 prev=yes"], "\(calls)")
        let uuid = ((try? String(contentsOfFile: uuidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let left = NetFootprint.of(uuid: uuid, ips: ["10.233.5.2"])
        #expect(uuid.count == 36 && left.isEmpty, "\(left)")
        #expect(NetTest.leases(env, network: net).isEmpty)
    }

    @Test("bad network configurations fail with one line naming the problem, exit 254, and leave no netns", arguments: [
        ("10-broken.conf", "{ \"name\": ", "--net=default", "10-broken.conf"),
        ("10-noname.conf", "{\"type\": \"ptp\"}", "--net=default", "missing \"name\""),
        ("10-ghost.conf", "{\"name\": \"NAME\", \"type\": \"nt-no-such-plugin\"}", "--net=NAME", "Could not find plugin \"nt-no-such-plugin\""),
        ("10-unused.conf", "{\"name\": \"NAME\", \"type\": \"ptp\"}", "--net=nt-not-defined", "networks not found: nt-not-defined"),
    ])
    func badConfig(_ file: String, _ content: String, _ flag: String, _ message: String) throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let name = Self.netName("bad")
        try NetTest.writeNetwork(env, file: file, content.replacingOccurrences(of: "NAME", with: name))
        let uuidFile = env.tmpDir + "/uuid"
        let r = env.run([flag.replacingOccurrences(of: "NAME", with: name), "--uuid-file-save=\(uuidFile)", try TestImages.busybox()])
        #expect(r.exit == 254, "\(r)")
        let lines = NetTest.errorLines(r)
        #expect(lines.count == 1 && r.stderr.contains(message), "\(r)")
        let uuid = ((try? String(contentsOfFile: uuidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(uuid.count == 36 && NetFootprint.of(uuid: uuid, ips: []).isEmpty)
    }

    // MARK: - DNS and hosts

    static func cat(_ env: RktTestEnv, _ flags: [String], _ file: String) throws -> CommandResult {
        env.run(flags + [try TestImages.busybox(), "--exec=/bin/sh", "--", "-c", "cat \(file) || echo NO-FILE"])
    }

    @Test("--dns, --dns-search, --dns-opt and --dns-domain make the pod's resolv.conf")
    func dnsFlags() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let r = try Self.cat(env, ["--net=none", "--dns=10.0.0.53,10.0.0.54", "--dns=10.0.0.55", "--dns-search=a.example",
                                   "--dns-search=b.example", "--dns-opt=ndots:3", "--dns-domain=example.net"], "/etc/resolv.conf")
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout == """
            # Generated by rkt run

            search a.example b.example
            nameserver 10.0.0.53
            nameserver 10.0.0.54
            nameserver 10.0.0.55
            options ndots:3
            domain example.net

            """, "\(r)")
        let host = try Self.cat(env, ["--net=none", "--dns=host"], "/etc/resolv.conf")
        #expect(host.stdout == (try String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)), "\(host)")
        let none = try Self.cat(env, ["--net=none", "--dns=none"], "/etc/resolv.conf")
        #expect(none.stdout.hasSuffix("NO-FILE\n"), "\(none)")
    }

    @Test("the DNS a network plugin returns becomes resolv.conf unless --dns says otherwise")
    func pluginDNS() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let net = Self.netName("dns")
        try NetTest.writeNetwork(env, file: "10-dns.conf", """
            {"cniVersion": "0.3.1", "name": "\(net)", "type": "ptp",
             "dns": {"nameservers": ["10.233.6.53"], "search": ["pods.example"], "options": ["ndots:2"]},
             "ipam": \(NetTest.ipam(env, subnet: "10.233.6.0/24"))}
            """)
        let r = try Self.cat(env, ["--net=\(net)"], "/etc/resolv.conf")
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("nameserver 10.233.6.53\n") && r.stdout.contains("search pods.example\n")
                && r.stdout.contains("options ndots:2\n"), "\(r)")
        // The result's DNS is kept in net-info.json (rkt's `dns`), which status --format=json shows.
        let pods = (try? FileManager.default.contentsOfDirectory(atPath: env.dataDir + "/pods/run")) ?? []
        let info = pods.first.flatMap { try? String(contentsOfFile: env.dataDir + "/pods/run/\($0)/net-info.json", encoding: .utf8) } ?? ""
        #expect(info.contains(#""dns":{"nameservers":["10.233.6.53"]"#), "\(info)")
        let none = try Self.cat(env, ["--net=\(net)", "--dns=none"], "/etc/resolv.conf")
        #expect(none.stdout.hasSuffix("NO-FILE\n"), "\(none)")
        let flag = try Self.cat(env, ["--net=\(net)", "--dns=10.0.0.99"], "/etc/resolv.conf")
        #expect(flag.stdout.contains("nameserver 10.0.0.99") && !flag.stdout.contains("10.233.6.53"), "\(flag)")
        #expect(PodCommandsTests.eventually(10) { NetTest.leases(env, network: net).isEmpty })
    }

    @Test("--hosts-entry adds names per IP, --hosts-entry=host gives the host's file, and the pod's hostname resolves inside")
    func hostsEntries() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let entries = try Self.cat(env, ["--net=none", "--hosts-entry=10.9.8.7=alpha", "--hosts-entry=10.9.8.7=beta,10.9.8.6=gamma"], "/etc/hosts")
        #expect(entries.exit == 0, "\(entries)")
        #expect(entries.stdout.contains("10.9.8.7 alpha beta\n") && entries.stdout.contains("10.9.8.6 gamma\n"), "\(entries)")
        #expect(entries.stdout.contains("localhost"), "the stage1's fallback entries stay: \(entries)")
        let host = try Self.cat(env, ["--net=none", "--hosts-entry=host"], "/etc/hosts")
        #expect(host.stdout == (try String(contentsOfFile: "/etc/hosts", encoding: .utf8)), "\(host)")
        // The default hosts file names the pod; ping resolves it through /etc/hosts to loopback.
        let own = env.run(["--net=none", "--hostname=nt-pod", try TestImages.busybox(), "--exec=/bin/sh", "--", "-c",
                           "cat /etc/hosts; ping -c 1 -W 2 nt-pod"])
        #expect(own.exit == 0, "\(own)")
        #expect(own.stdout.contains("127.0.0.1\tnt-pod") && own.stdout.contains("PING nt-pod (127.0.0.1)"), "\(own)")
        // With --hosts-entry lines the pod's own name is added to them.
        let named = env.run(["--net=none", "--hostname=nt-pod2", "--hosts-entry=10.9.8.7=alpha", try TestImages.busybox(),
                             "--exec=/bin/sh", "--", "-c", "cat /etc/hosts; ping -c 1 -W 2 nt-pod2"])
        #expect(named.exit == 0, "\(named)")
        #expect(named.stdout.contains("10.9.8.7 alpha") && named.stdout.contains("PING nt-pod2 (127.0.0.1)"), "\(named)")
    }
}
