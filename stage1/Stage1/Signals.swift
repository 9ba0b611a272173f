import Glibc
import RktCommon

/// Synchronous signal handling for the stage1 processes: signals stay blocked and are collected
/// with `sigtimedwait`, so no Swift ever runs in a signal handler (aesthetics.md §9.8).
public enum Signals {
    /// The signals init and pod-init handle.
    public static let handled: [Int32] = [SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT]

    static func set(_ sigs: [Int32]) -> sigset_t {
        var s = sigset_t()
        sigemptyset(&s)
        for sig in sigs { sigaddset(&s, sig) }
        return s
    }

    /// Blocks `handled` in the calling (only) thread.
    public static func block() {
        var s = set(handled)
        sigprocmask(SIG_BLOCK, &s, nil)
    }

    /// Waits for one of `handled`, at most `timeoutMillis` (nil: forever). Returns nil on timeout.
    /// `beforeBlocking` runs once, right before the first wait.
    public static func wait(timeoutMillis: Int?, beforeBlocking: () -> Void = {}) -> Int32? {
        var s = set(handled)
        var info = siginfo_t()
        beforeBlocking()
        while true {
            let r: Int32
            if let ms = timeoutMillis {
                var ts = timespec(tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000)
                r = sigtimedwait(&s, &info, &ts)
            } else {
                r = sigwaitinfo(&s, &info)
            }
            if r > 0 { return r }
            if errno == EAGAIN { return nil }
            if errno != EINTR { return nil }
        }
    }

    /// Monotonic milliseconds, for kill deadlines.
    public static func nowMillis() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
    }
}
