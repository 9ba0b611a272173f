import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child on a pseudo-terminal, the way rkt's Go suite drove every command (gexpect): stdout and
/// stderr arrive merged, lines end in `\r\n`, and the test can type into it.
final class PtyProcess: @unchecked Sendable {
    let process: SpawnedProcess
    private let master: Int32
    private let lock = NSLock()
    private var buffer = ""
    private var readerDone = false
    private let scratch: String

    var pid: pid_t { process.pid }

    init(_ path: String, _ args: [String], environment: [String: String]) throws {
        // posix_openpt/unlockpt/ptsname are hidden from Swift's Glibc module; the ioctls they
        // wrap are not (TIOCSPTLCK / TIOCGPTN, same numbers on x86_64 and arm64).
        let m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        var unlock: Int32 = 0
        var ptn: UInt32 = 0
        guard m >= 0, ioctl(m, 0x4004_5431, &unlock) == 0, ioctl(m, 0x8004_5430, &ptn) == 0 else {
            let e = errno
            if m >= 0 { close(m) }
            throw HarnessError("cannot allocate a pseudo-terminal: \(String(cString: strerror(e)))")
        }
        master = m
        scratch = try makeTempDir(prefix: "rkt-pty")
        let slave = "/dev/pts/\(ptn)"
        var env = environment
        env["TERM"] = env["TERM"] ?? "xterm"
        process = try spawnProcess(
            path, args, environment: env, stdinPath: nil,
            stdoutPath: scratch + "/stdout", stderrPath: scratch + "/stderr", ptySlave: slave)
        let t = Thread { [self] in readLoop() }
        t.start()
    }

    deinit {
        process.kill(SIGKILL)
        _ = process.wait(timeout: 5)
        close(master)
        try? FileManager.default.removeItem(atPath: scratch)
    }

    private func readLoop() {
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { read(master, $0.baseAddress, 4096) }
            if n < 0 && errno == EINTR { continue }
            // EIO: every slave fd is closed (the child and its descendants are gone).
            if n <= 0 { break }
            let s = String(decoding: buf[0..<n], as: UTF8.self)
            lock.lock(); buffer += s; lock.unlock()
        }
        lock.lock(); readerDone = true; lock.unlock()
    }

    /// Everything the child wrote so far (stdout and stderr merged, `\r\n` line ends).
    var output: String {
        lock.lock(); defer { lock.unlock() }
        return buffer
    }

    /// Waits until `text` shows up in the output.
    func expect(_ text: String, timeout: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            lock.lock()
            let (has, done) = (buffer.contains(text), readerDone)
            lock.unlock()
            if has { return true }
            if done { return false }
            usleep(20_000)
        }
        return false
    }

    /// Types `line` followed by a newline.
    func sendLine(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { _ = write(master, $0.baseAddress, $0.count) }
    }

    /// Waits for exit (killing the child on timeout) and returns the merged output as stdout.
    func wait(timeout: Double = 120) -> CommandResult {
        var r = process.wait(timeout: timeout)
        // Let the reader drain what the child wrote before it exited.
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline {
            lock.lock(); let done = readerDone; lock.unlock()
            if done { break }
            usleep(10_000)
        }
        r.stdout = output
        r.stderr = ""
        return r
    }

    func kill(_ signal: Int32 = SIGKILL) { process.kill(signal) }
}
