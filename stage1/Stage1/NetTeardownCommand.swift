import Glibc
import RktCommon
import RktOS
import Stage1Net

/// The hidden `net-teardown` mode: CNI DEL for every network of an exited pod and removal of its
/// port forwards, off `rkt run`'s path.
///
/// rkt 1.30 left an exited pod's networking to `rkt gc` (its stage1 exec'd systemd-nspawn, so
/// nothing was left to do it at exit). We release the addresses and forwards as soon as the pod
/// exits, but the DELs take ~75 ms (the ptp plugin runs iptables several times), which `rkt run`
/// would otherwise add to every pod's exit. So init starts this detached process and exits with the
/// pod's status at once. The process holds `net-teardown.lck` from before init exits until it is
/// done; stage1 gc takes that lock before its own (then idempotent) teardown, so the two never run
/// DELs side by side. Its output goes to /dev/null: a failure here is retried, and reported, by gc.
public enum NetTeardownCommand {
    /// Called by init, in the host netns, once the pod has exited. Failing to start the detached
    /// process leaves the teardown to gc, as in rkt.
    static func detach(podDir: String, localConfig: String, env: [String]) {
        guard let lock = try? FileIO.open(PathUtil.join(podDir, PodFile.netTeardownLock),
                                          O_RDWR | O_CREAT | O_CLOEXEC, mode: 0o640) else { return }
        defer { FileIO.close(lock) }
        // Taken here, before the child exists, and shared with it through the inherited open file:
        // there is no moment at which gc could start a teardown of its own.
        guard flock(lock, LOCK_EX) == 0, let devNull = try? FileIO.open("/dev/null", O_RDWR | O_CLOEXEC) else { return }
        defer { FileIO.close(devNull) }
        // The pod directory by fd: `rkt gc` may rename it (run/ → exited-garbage/) meanwhile.
        guard let dir = try? FileIO.open(podDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) else { return }
        defer { FileIO.close(dir) }
        var req = SpawnRequest(path: "/proc/self/exe", argv: ["net-teardown", PathUtil.basename(podDir), localConfig], env: env)
        req.fds = [devNull, devNull, devNull, lock, dir]
        // Its own session: the terminal's signals for `rkt run`'s process group do not reach it.
        req.newSession = true
        _ = try? Spawn.run(req)
    }

    /// `net-teardown UUID LOCAL_CONFIG`, with the lock as fd 3 and the pod directory as fd 4.
    public static func main(_ args: [String]) -> Int32 {
        guard args.count == 2 else { return ExitCode.usage }
        // A path through our fd, valid for the CNI plugins we run too, whatever the directory's
        // name is now.
        let podDir = "/proc/\(getpid())/fd/4"
        let net = PodNetworking(
            podDir: podDir, podUUID: args[0],
            stage1Rootfs: PathUtil.join(podDir, PodFile.stage1Rootfs), localConfig: args[1])
        return net.teardown().isEmpty ? ExitCode.success : ExitCode.failure
    }

    /// Blocks until no detached teardown holds the pod's lock; returns the held lock fd (or -1 when
    /// the pod never started one), for the caller to close after its own teardown.
    static func waitForDetached(podDir: String) -> Int32 {
        let path = PathUtil.join(podDir, PodFile.netTeardownLock)
        guard let fd = try? FileIO.open(path, O_RDWR | O_CLOEXEC) else { return -1 }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        return fd
    }
}
