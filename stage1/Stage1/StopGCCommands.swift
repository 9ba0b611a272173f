import Glibc
import RktCommon
import RktOS
import Stage1Net

/// `/stop [--force] <uuid>` (cwd = pod dir): SIGTERM to pod-init, which stops the apps; SIGKILL
/// if it is still there after `timeoutMillis`. `--force` sends SIGKILL right away, which ends the
/// whole pid namespace.
public enum StopCommand {
    public static let timeoutMillis = 15_000

    public static func main(_ args: [String]) -> Int32 {
        var force = false
        for a in args where a.hasPrefix("-") {
            if a == "--force" || a == "-force" || a == "--force=true" { force = true } else if a == "--force=false" { force = false } else {
                Log.error(RktError("flag provided but not defined: \(a)"))
                return ExitCode.usage
            }
        }
        do {
            let podDir = try InitCommand.currentDirectory()
            let text = try FileIO.readString(PathUtil.join(podDir, PodFile.pid)).trimmingSpaces()
            guard let pid = pid_t(text), pid > 0 else { throw RktError("invalid pid file in \(podDir)") }
            if kill(pid, force ? SIGKILL : SIGTERM) != 0 {
                if errno == ESRCH { return ExitCode.success }
                throw RktError.errno("kill", String(pid))
            }
            if force { return ExitCode.success }
            let deadline = Signals.nowMillis() + timeoutMillis
            while Signals.nowMillis() < deadline {
                if kill(pid, 0) != 0 && errno == ESRCH { return ExitCode.success }
                usleep(100_000)
            }
            kill(pid, SIGKILL)
            return ExitCode.success
        } catch let e as RktError {
            Log.error(e)
            return ExitCode.failure
        } catch {
            return ExitCode.failure
        }
    }
}

/// `/gc [--debug] [--local-config <dir>] <uuid>` (cwd = pod dir): kills whatever is left in the
/// pod's cgroups, removes them, and removes the pod's network namespace. Mounts made by pod-init
/// lived in the pod's own mount namespace and died with it.
public enum GCCommand {
    public static func main(_ args: [String]) -> Int32 {
        let parsed: Stage1GCArgs
        do { parsed = try Stage1GCArgs(parsing: args) } catch let e as RktError {
            Log.error(e)
            return e.exitCode
        } catch {
            return ExitCode.usage
        }
        Log.debug = parsed.debug
        do {
            try collect(podDir: try InitCommand.currentDirectory(), localConfig: parsed.localConfig ?? "/etc/rkt")
            return ExitCode.success
        } catch let e as RktError {
            Log.error(e)
            return ExitCode.failure
        } catch {
            return ExitCode.failure
        }
    }

    public static func collect(podDir: String, localConfig: String = "/etc/rkt") throws {
        var failures: [String] = []
        let netnsFile = PathUtil.join(podDir, PodFile.netns)
        if let path = try? FileIO.readString(netnsFile).trimmingSpaces(), !path.isEmpty {
            // Wait for the teardown the pod's exit started, if it still runs.
            let wait = NetTeardownCommand.waitForDetached(podDir: podDir)
            defer { if wait >= 0 { FileIO.close(wait) } }
            // CNI DEL for every network and the port forwards (a no-op if the pod's own exit did it).
            let net = PodNetworking(
                podDir: podDir, podUUID: PathUtil.basename(podDir),
                stage1Rootfs: PathUtil.join(podDir, PodFile.stage1Rootfs), localConfig: localConfig)
            failures += net.teardown()
            do { try NamedNetns.remove(at: path) } catch { failures.append(String(describing: error)) }
        }
        if let sub = try? FileIO.readString(PathUtil.join(podDir, PodFile.subcgroup)).trimmingSpaces(), !sub.isEmpty {
            let host = CgroupHost.detect()
            do {
                try killRemaining(host.directories(sub))
                try host.remove(sub)
            } catch { failures.append(String(describing: error)) }
        }
        if !failures.isEmpty { throw RktError("cannot clean up pod \(podDir)", causes: failures) }
    }

    /// SIGKILLs every process still in the pod's cgroups and waits briefly for them to go.
    static func killRemaining(_ dirs: [String]) throws {
        for _ in 0..<50 {
            let pids = dirs.flatMap(procs)
            if pids.isEmpty { return }
            for p in pids { kill(p, SIGKILL) }
            usleep(100_000)
        }
    }

    static func procs(_ dir: String) -> [pid_t] {
        var out: [pid_t] = []
        let text = (try? FileIO.readString(PathUtil.join(dir, "cgroup.procs"))) ?? ""
        out += text.split(separator: "\n").compactMap { pid_t($0) }
        for child in (try? FileSystem.listDirectory(dir)) ?? [] where FileSystem.isDirectory(PathUtil.join(dir, child)) {
            out += procs(PathUtil.join(dir, child))
        }
        return out
    }
}
