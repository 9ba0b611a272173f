import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Pod networking through CNI with the full stage1 (issue #5): the default network, port
/// forwarding, host/none, teardown on exit, gc and SIGKILL. Traffic goes only between this
/// machine and the test's own pods.
@Suite("CNI networking")
struct NetworkTests {
    @Test("two pods on the default network reach each other, the host reaches both by IP, and an exited pod leaves nothing")
    func podToPod() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let httpd = try NetTest.httpImage()
        let server = try NetTest.startPod(env, [httpd])
        #expect(server.networks.map(\.name) == ["default"])
        #expect(server.ip.hasPrefix("172.16.28."), "\(server.networks)")
        // net-info.json records the result's address, gateway and routes as rkt's `ip4`.
        let info = (try? String(contentsOfFile: server.podDir + "/net-info.json", encoding: .utf8)) ?? ""
        #expect(info.contains(#""ip4":{"ip":"\#(server.ip)/24","gateway":"172.16.28.1","routes":[{"dst":"0.0.0.0/0"}]}"#), "\(info)")
        let before = server.footprint()
        #expect(!before.links.isEmpty && before.netns && !before.leases.isEmpty, "\(before)")
        // The default network's masquerade is stage1's (IPMasq), not the ptp plugin's.
        #expect(before.rules.contains { $0.contains("RKT-MASQ-") && $0.contains("MASQUERADE") }
                && before.rules.contains { $0.contains("POSTROUTING") && $0.contains("-s \(server.ip)/32") }
                && !before.rules.contains { $0.contains("CNI-") }, "\(before.rules)")
        // The host reaches the pod by its address.
        #expect(NetTest.httpGet(server.ip, 80) == "rkt-\(server.uuid)\n")

        // A second pod on the same network fetches from the first one.
        let busybox = try TestImages.busybox()
        let uuidFile = env.tmpDir + "/client-uuid"
        let client = env.run([
            "--uuid-file-save=\(uuidFile)", busybox, "--exec=/bin/sh", "--", "-c",
            // busybox nc rather than wget: busybox 1.35's `wget -T` crashes under some kernels.
            "ip -4 -o addr show eth0; for i in $(seq 1 40); do printf 'GET /etc/hostname HTTP/1.0\\r\\n\\r\\n' | nc -w 2 \(server.ip) 80 | grep rkt- && exit 0; sleep 0.25; done; exit 7",
        ])
        #expect(client.exit == 0, "\(client)")
        #expect(client.stdout.contains("rkt-\(server.uuid)"), "\(client)")
        let clientIP = client.stdout.firstMatch(of: /inet (172\.16\.28\.\d+)\//).map { String($0.1) } ?? ""
        #expect(!clientIP.isEmpty && clientIP != server.ip, "\(client)")
        // The client exited: its network goes without any gc (torn down by a detached process
        // right after the exit, so `rkt run` does not wait for the CNI DELs).
        let clientUUID = ((try? String(contentsOfFile: uuidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let clientLeft = NetFootprint.of(uuid: clientUUID, ips: []).settled(ips: [])
        #expect(clientUUID.count == 36 && clientLeft.isEmpty, "\(clientLeft)")

        let (gc, after) = server.stopAndCollect(env, before: before)
        #expect(gc.exit == 0, "\(gc)")
        #expect(after.isEmpty, "\(after)")
        // The (empty) chain is gone too: its declaration does not name the pod.
        let chain = before.rules.lazy.compactMap { $0.firstMatch(of: /-j (RKT-MASQ-[0-9a-f]+)/).map { String($0.1) } }.first
        #expect(chain != nil && !((try? NetTest.iptablesSave()) ?? chain!).contains(chain!), "\(String(describing: chain))")
    }

    @Test("--port forwards NAME:HOSTPORT on every local address, including 127.0.0.1, and NAME:HOSTIP:HOSTPORT only on HOSTIP; rkt stop removes them")
    func portForwarding() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let anyPort = try NetTest.freePort()
        var loPort = try NetTest.freePort()
        while loPort == anyPort { loPort = try NetTest.freePort() }
        let pod = try NetTest.startPod(env, ["--port=http:\(anyPort)", "--port=alt:127.0.0.1:\(loPort)", try NetTest.httpImage()])
        let hostname = "rkt-\(pod.uuid)\n"
        #expect(NetTest.httpGet("127.0.0.1", anyPort) == hostname)
        #expect(NetTest.httpGet("127.0.0.1", loPort) == hostname)
        // The host's own address on the pod network is local too: the 0.0.0.0 forward answers
        // there, the 127.0.0.1 one does not.
        let info = (try? String(contentsOfFile: pod.podDir + "/net-info.json", encoding: .utf8)) ?? ""
        let hostIP = info.firstMatch(of: /"hostIP" *: *"([0-9.]+)"/).map { String($0.1) } ?? ""
        #expect(hostIP == "172.16.28.1", "\(info)")
        #expect(NetTest.httpGet(hostIP, anyPort) == hostname)
        #expect(NetTest.httpGet(hostIP, loPort, timeout: 2) == nil)
        let fp = pod.footprint()
        #expect(fp.rules.contains { $0.contains("--dport \(anyPort)") } && fp.rules.contains { $0.contains("-d 127.0.0.1/32") }, "\(fp)")

        let stop = env.rkt(["stop", pod.uuid])
        #expect(stop.exit == 0, "\(stop)")
        _ = pod.process.wait(timeout: 30)
        // Stopping the pod removed its forwards, link and lease; gc then finds nothing left to do.
        let exited = fp.settled(ips: [pod.ip])
        #expect(exited.isEmpty, "\(exited)")
        #expect(NetTest.httpGet("127.0.0.1", anyPort, timeout: 1) == nil)
        #expect(env.rkt(["gc", "--grace-period=0s"]).exit == 0)
    }

    @Test("--port is refused with --net=host and --net=none, before any pod exists", arguments: ["host", "none"])
    func portNeedsContainedNetwork(_ net: String) throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let r = env.run(["--net=\(net)", "--port=http:\(try NetTest.freePort())", try NetTest.httpImage()])
        #expect(r.exit == 254, "\(r)")
        #expect(r.stderr.contains("--port flag does not work with '\(net)' networking"), "\(r)")
        #expect(NetTest.errorLines(r).count == 1, "\(r)")
        let pods = ["prepare", "prepared", "run", "exited-garbage", "garbage"].flatMap {
            (try? FileManager.default.contentsOfDirectory(atPath: env.dataDir + "/pods/" + $0)) ?? []
        }
        #expect(pods.isEmpty, "\(pods)")
    }

    @Test("--mds-register fails with one clear line while there is no metadata service")
    func mdsRegister() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let r = env.run(["--mds-register", try TestImages.busybox()])
        #expect(r.exit == 254, "\(r)")
        #expect(NetTest.errorLines(r).count == 1 && r.stderr.contains("metadata service"), "\(r)")
    }

    @Test("--net=host shares the host's network namespace and interfaces; --net=none has only lo")
    func hostAndNone() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let busybox = try TestImages.busybox()
        let script = "readlink /proc/self/ns/net; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"
        let linksBefore = NetTest.hostLinks()
        let host = env.run(["--net=host", busybox, "--exec=/bin/sh", "--", "-c", script])
        let linksAfter = NetTest.hostLinks()
        #expect(host.exit == 0, "\(host)")
        let hostLines = host.stdout.split(separator: "\n").map(String.init)
        let ownNS = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")) ?? "?"
        #expect(hostLines.first == ownNS, "\(host)")
        // Links other suites add or remove meanwhile are neither required nor forbidden.
        let stable = linksBefore.intersection(linksAfter)
        #expect(stable.contains("lo") && stable.isSubset(of: Set(hostLines.dropFirst())), "\(stable) vs \(host)")

        let none = env.run(["--net=none", busybox, "--exec=/bin/sh", "--", "-c", script])
        #expect(none.exit == 0, "\(none)")
        let noneLines = none.stdout.split(separator: "\n").map(String.init)
        #expect(noneLines.count == 2 && noneLines.first != ownNS && noneLines.last == "lo", "\(none)")
    }

    @Test("30 pods started at once on the default network get distinct addresses and leave nothing after gc")
    func parallelPods() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let busybox = try TestImages.busybox()
        let count = 30
        var procs: [(SpawnedProcess, String)] = []
        for i in 0..<count {
            let uuidFile = env.tmpDir + "/uuid-\(i)"
            // Each pod keeps its address for 4 s after printing it, so the addresses are held
            // at the same time and host-local's locking is what keeps them apart.
            let p = try env.spawn([
                "run", env.stage1Flag, "--uuid-file-save=\(uuidFile)", busybox, "--exec=/bin/sh", "--", "-c",
                "ip -4 -o addr show eth0; sleep 4",
            ])
            procs.append((p, uuidFile))
        }
        var ips: [String] = []
        var uuids: [String] = []
        for (p, uuidFile) in procs {
            let r = p.wait(timeout: 240)
            #expect(r.exit == 0, "\(r)")
            if let ip = r.stdout.firstMatch(of: /inet (172\.16\.28\.\d+)\//).map({ String($0.1) }) { ips.append(ip) }
            uuids.append(((try? String(contentsOfFile: uuidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(ips.count == count)
        #expect(Set(ips).count == ips.count, "duplicate addresses: \(ips.sorted())")
        #expect(env.rkt(["gc", "--grace-period=0s"]).exit == 0)
        for (uuid, ip) in zip(uuids, ips) {
            // A later pod of another suite may hold the same address by now: only the lease,
            // netns and rules naming this pod count.
            let left = NetFootprint.of(uuid: uuid, ips: [])
            #expect(left.isEmpty, "\(ip): \(left)")
        }
    }

    @Test("after SIGKILL of a pod with forwarded ports, gc removes its netns, link, route, rules and lease")
    func killedPodIsCleanedByGC() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let port = try NetTest.freePort()
        let pod = try NetTest.startPod(env, ["--port=http:\(port)", try NetTest.httpImage()])
        #expect(NetTest.httpGet("127.0.0.1", port) == "rkt-\(pod.uuid)\n")
        let before = pod.footprint()
        #expect(before.netns && !before.links.isEmpty && !before.routes.isEmpty && !before.leases.isEmpty, "\(before)")
        #expect(before.rules.contains { $0.contains("RKT-PFWD-DNAT") } && before.rules.contains { $0.contains(pod.uuid) }, "\(before)")
        // rkt execs the stage1 init, which owns the network: killing it leaves everything set up.
        kill(pod.process.pid, SIGKILL)
        _ = pod.process.wait(timeout: 30)
        let orphaned = before.now(ips: [pod.ip])
        #expect(orphaned.netns && !orphaned.rules.isEmpty, "\(orphaned)")
        let gc = env.rkt(["gc", "--grace-period=0s"])
        #expect(gc.exit == 0, "\(gc)")
        let after = before.now(ips: [pod.ip])
        #expect(after.isEmpty, "\(after)")
        #expect(NetTest.httpGet("127.0.0.1", port, timeout: 1) == nil)
    }

    @Test("default-restricted gives an address in 172.31.0.0/16 without a default route; the host reaches it")
    func defaultRestricted() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let pod = try NetTest.startPod(env, ["--net=default-restricted", try NetTest.httpImage()])
        #expect(pod.networks.map(\.name) == ["default-restricted"])
        #expect(pod.ip.hasPrefix("172.31."), "\(pod.networks)")
        #expect(NetTest.httpGet(pod.ip, 80) == "rkt-\(pod.uuid)\n")
        let routes = env.rkt(["enter", pod.uuid, "/bin/ip", "-4", "route"])
        #expect(routes.exit == 0 && routes.stdout.contains("eth0") && !routes.stdout.contains("default"), "\(routes)")
        let before = pod.footprint()
        let (gc, after) = pod.stopAndCollect(env, before: before)
        #expect(gc.exit == 0, "\(gc)")
        #expect(after.isEmpty, "\(after)")
    }
}
