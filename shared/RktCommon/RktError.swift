#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The one error type every layer throws upward.
///
/// `message` names the failing operation and the thing it worked on (lower-case, no trailing
/// period: `"cannot open pod manifest /var/lib/rkt/pods/run/…/pod"`). `causes` is the wrapped
/// chain, outermost first; without `--debug` rkt prints `message: innermost cause`, with
/// `--debug` every layer on its own `└─` line (rkt: pkg/log/log.go).
public struct RktError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var causes: [String]
    /// Process exit status when this error reaches `main` (rkt uses 254 for its own errors).
    public var exitCode: Int32

    public init(_ message: String, causes: [String] = [], exitCode: Int32 = ExitCode.failure) {
        self.message = message
        self.causes = causes
        self.exitCode = exitCode
    }

    /// Wraps `error` with a context message, keeping the chain.
    public init(_ message: String, cause error: any Error, exitCode: Int32? = nil) {
        self.message = message
        if let inner = error as? RktError {
            self.causes = [inner.message] + inner.causes
            self.exitCode = exitCode ?? inner.exitCode
        } else {
            self.causes = [String(describing: error)]
            self.exitCode = exitCode ?? ExitCode.failure
        }
    }

    /// A failed system call: `stage` is the operation (`"mount"`, `"setns"`), `path` what it acted on.
    public static func errno(_ stage: String, _ path: String? = nil, _ code: Int32 = Glibc.errno) -> RktError {
        let what = path.map { "\(stage) \($0)" } ?? stage
        return RktError(what, causes: [RktError.strerror(code)])
    }

    public static func strerror(_ code: Int32) -> String {
        guard let p = Glibc.strerror(code) else { return "errno \(code)" }
        return String(cString: p).lowercased()
    }

    /// `message: innermost cause`, the form rkt prints without `--debug`.
    public var description: String {
        guard let last = causes.last else { return message }
        return "\(message): \(last)"
    }

    /// The whole chain, one indented line per layer (the `--debug` form).
    public var debugChain: String {
        var out = message
        for (i, c) in causes.enumerated() {
            out += "\n" + String(repeating: "  ", count: i) + "└─" + c
        }
        return out
    }
}

/// Exit statuses shared by stage0 and the stage1 binaries (rkt-architecture.md §10).
public enum ExitCode {
    public static let success: Int32 = 0
    /// rkt's own errors: bad flags, fetch/prepare failures, unknown pods.
    public static let failure: Int32 = 254
    /// `rkt` with no subcommand; Go `flag` parse errors in stage1 binaries.
    public static let usage: Int32 = 2
}
