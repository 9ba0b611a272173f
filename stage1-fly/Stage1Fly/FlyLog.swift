import Glibc
import RktCommon
import RktOS

/// rkt's pkg/log for stage1 binaries: every line is `<prefix>: message`; `diag` lines appear only
/// with `--debug`. Writes go straight to fd 2 (no buffering to lose at `execve`).
struct FlyLog {
    let prefix: String
    let debug: Bool

    func print(_ message: String) {
        write(2, "\(prefix): \(message)\n")
    }

    /// `PrintE`: the message and the error (its innermost cause, or every layer with --debug).
    func print(_ message: String, _ error: any Error) {
        if let e = error as? RktError {
            print("\(message): " + (debug ? e.debugChain : e.description))
        } else {
            print("\(message): \(error)")
        }
    }

    func diag(_ message: @autoclosure () -> String) {
        if debug { print(message()) }
    }

    /// Unprefixed text on stdout (Go's fmt.Printf in rkt's discard flags).
    static func stdout(_ text: String) {
        write(1, text)
    }

    /// An entrypoint's argv: the parsed arguments, or the status to exit with (0 after
    /// `--help`, else the usage error printed to stderr).
    static func parseArgs<T>(_ parse: () throws -> T) -> (args: T?, exit: Int32) {
        do {
            return (try parse(), 0)
        } catch let e as RktError {
            if e.exitCode != 0 { stderr("\(e.message)\n") }
            return (nil, e.exitCode)
        } catch {
            return (nil, ExitCode.usage)
        }
    }

    static func stderr(_ text: String) {
        write(2, text)
    }

    private static func write(_ fd: Int32, _ text: String) {
        try? FileIO.writeAll(fd: fd, Array(text.utf8))
    }

    private func write(_ fd: Int32, _ text: String) {
        FlyLog.write(fd, text)
    }
}
