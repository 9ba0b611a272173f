import Glibc
import RktCommon
import RktOS

/// The fly `stop` entrypoint: SIGTERM (SIGKILL with `--force`) to the pod's `pid`, falling back
/// to its process group from `pgid` when the pid is gone (fly has no pod-wide supervisor).
public enum FlyStop {
    public static func main(_ args: [String]) -> Int32 {
        let (args, exit) = FlyLog.parseArgs { try Stage1StopArgs(parsing: args) }
        guard let parsed = args else { return exit }
        let signal = parsed.force ? SIGKILL : SIGTERM
        // rkt reports a pod running as soon as stage0 holds its lock, a moment before fly has
        // written `pid`; a stop that comes in between waits for it (up to 5 s) instead of failing.
        var waited = 0
        while access(PodFile.pid, F_OK) != 0, waited < 50 {
            usleep(100_000)
            waited += 1
        }
        let pid: Int
        do {
            pid = try FileIO.readInt(PodFile.pid)
        } catch {
            FlyLog.stderr("error reading pid: \(error)\n")
            return ExitCode.failure
        }
        if (try? ProcessOps.kill(Int32(clamping: pid), signal)) != nil { return ExitCode.success }
        let pidErr = errno
        // The pid is gone (or never became the app): signal the group the app ran in.
        if let pgid = try? FileIO.readInt(PodFile.pgid), pgid > 1,
           (try? ProcessOps.kill(-Int32(clamping: pgid), signal)) != nil {
            return ExitCode.success
        }
        let verb = parsed.force ? "kill" : "terminate"
        FlyLog.stderr("unable to \(verb) process \(pid): \(RktError.strerror(pidErr))\n")
        return ExitCode.failure
    }
}
