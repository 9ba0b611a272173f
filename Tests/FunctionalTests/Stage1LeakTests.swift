import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue #4 "No leaks": 50 full-stage1 pods run and collected leave the host's mounts, cgroups,
/// namespaces and processes as they were. Other suites run pods at the same time, so the test
/// looks only at what belongs to its own pods (their uuids and its data dir), never host totals.
@Suite("full stage1 leaks")
struct Stage1LeakTests {
    static let pods = 50
    static let batch = 10

    @Test("50 pods run in parallel batches and collected leave no mount, cgroup, netns or process behind")
    func fiftyPods() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        // Fetch once, so the parallel runs only render and run.
        _ = env.rkt(["fetch", img])

        // One pod that stays up shows the probes below find a live pod's traces.
        let (live, liveUUID) = try Self.startLive(env, img)
        let seen = Self.leftovers(env, uuids: [liveUUID])
        for kind in ["mounts", "netns", "cgroups", "processes"] {
            #expect(!(seen[kind] ?? []).isEmpty, "the probe for \(kind) misses a running pod: \(seen)")
        }
        #expect(env.rkt(["stop", liveUUID]).exit == 0)
        #expect(!live.wait(timeout: 30).timedOut)

        var uuids: [String] = []
        var failures: [String] = []
        for b in 0..<(Self.pods / Self.batch) {
            var running: [(SpawnedProcess, String)] = []
            for i in 0..<Self.batch {
                let uuidFile = env.tmpDir + "/uuid-\(b)-\(i)"
                // --net=none makes a named netns; the overlay stage0 mounts; the background sleep
                // is an orphan that must die with the pod.
                let p = try env.spawn(["run", env.stage1Flag, "--net=none", "--uuid-file-save=" + uuidFile,
                                       img, "--exec=/bin/sh", "--", "-c", "sleep 30 & echo pod-\(b)-\(i)"])
                running.append((p, uuidFile))
            }
            for (p, uuidFile) in running {
                let r = p.wait(timeout: 120)
                if r.exit != 0 { failures.append(r.description) }
                let uuid = ((try? String(contentsOfFile: uuidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                if uuid.count == 36 { uuids.append(uuid) }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) pods failed: \(failures.prefix(2))")
        #expect(uuids.count == Self.pods)

        let gc = env.rkt(["gc", "--grace-period=0s"], timeout: 300)
        #expect(gc.exit == 0, "\(gc)")
        let list = env.rkt(["list", "--no-legend"])
        #expect(list.stdout.isEmpty, "\(list)")

        let left = Self.leftovers(env, uuids: uuids + [liveUUID])
        for (kind, items) in left { #expect(items.isEmpty, "leftover \(kind): \(items.prefix(5))") }
        #expect(env.cleanup().isEmpty)
    }

    static func startLive(_ env: RktTestEnv, _ img: String) throws -> (SpawnedProcess, String) {
        let uuidFile = env.tmpDir + "/uuid-live"
        let p = try env.spawn(["run", env.stage1Flag, "--net=none", "--uuid-file-save=" + uuidFile,
                               img, "--exec=/bin/sh", "--", "-c", "echo live-ready; sleep 60"])
        guard p.waitForOutput("live-ready") else { throw HarnessError("live pod never started: \(p.output)") }
        let uuid = ((try? String(contentsOfFile: uuidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        return (p, uuid)
    }

    /// What the host still holds for these pods, by kind (mounts, netns, cgroups, processes).
    static func leftovers(_ env: RktTestEnv, uuids: [String]) -> [String: [String]] {
        var out: [String: [String]] = [:]
        // Mounts: nothing under the data dir, and no mount (e.g. a named netns) naming a pod.
        let mountinfo = readProcFile("/proc/self/mountinfo") ?? ""
        let podMounts = mountinfo.split(separator: "\n").filter { line in
            line.contains(env.root) || uuids.contains { line.contains($0) }
        }
        out["mounts"] = podMounts.map(String.init)

        // Network namespaces.
        let netns = (try? FileManager.default.contentsOfDirectory(atPath: "/var/run/netns")) ?? []
        let podNetns = netns.filter { n in uuids.contains { n.contains($0) } }
        out["netns"] = podNetns

        // cgroups: machine.slice/machine-rkt\x2d<uuid…>.scope in every hierarchy.
        let prefixes = uuids.map { String($0.prefix(8)) }
        var podCgroups: [String] = []
        for h in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            let slice = "/sys/fs/cgroup/\(h)/machine.slice"
            for e in (try? FileManager.default.contentsOfDirectory(atPath: slice)) ?? [] where prefixes.contains(where: { e.contains($0) }) {
                podCgroups.append(slice + "/" + e)
            }
        }
        out["cgroups"] = podCgroups

        // Processes (and with them pid, mount, uts and ipc namespaces): none rooted in the pods.
        // A process in a pod's cgroups, or with its root or cwd in the data dir (init, pod-init
        // seen from the host), would keep the pod's namespaces alive.
        var podProcs: [String] = []
        for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(pid) != nil {
            let cgroup = readProcFile("/proc/\(pid)/cgroup") ?? ""
            if prefixes.contains(where: { cgroup.contains("rkt\\x2d" + $0) }) { podProcs.append("\(pid) in a pod cgroup") }
            for link in ["root", "cwd"] {
                if let t = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/\(link)"), t.hasPrefix(env.root) {
                    podProcs.append("\(pid) \(link)=\(t)")
                }
            }
        }
        out["processes"] = podProcs
        return out
    }
}
