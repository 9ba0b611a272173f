#if canImport(Glibc)
import Glibc
#endif
import RktCommon
import RktOS
import Stage0Core

/// `rkt`: `run`, `prepare` and `run-prepared` of images already in the store, with Stage0Core
/// alone. Every other command, `--help`, and every run whose images must be fetched or imported
/// go to `rkt-full` next to this binary, by `execv` with the same arguments (docs/hacking.md
/// "Two stage0 binaries"). Without Foundation and the network stack this binary starts in about
/// a third of the time, which every `rkt run` pays.
@main
enum RktFront {
    static func main() {
        let argv = Array(CommandLine.arguments.dropFirst())
        let rewritten = ArgvRewriter.rewrite(
            argv, root: ArgvRewriter.Node("rkt", ArgvRewriter.topLevelNames.map { ArgvRewriter.Node($0) }))
        guard let kind = runKind(rewritten.path) else { handOver() }
        let rest = Array(rewritten.arguments.dropFirst(rewritten.path.count))
        let flags = rest.prefix { $0 != "--" }
        if flags.contains("-h") || flags.contains("--help") { handOver() }
        // Only image resolution can hand over; until it is done, --debug lines wait (rkt-full
        // would print them again).
        if kind != .runPrepared { Stage0Context.holdStderr() }
        do {
            let s = try RunFlow.begin(kind, globals: GlobalFlags(), arguments: rest)
            switch kind {
            case .run:
                try RunFlow.run(s.options, dns: s.dns, context: s.context, timer: s.timer, images: StoreImageSource.factory)
            case .prepare:
                print(try RunFlow.prepare(s.options, context: s.context, timer: s.timer, images: StoreImageSource.factory))
            case .runPrepared:
                try RunFlow.runPrepared(s.options, dns: s.dns, context: s.context, timer: s.timer)
            }
        } catch is NeedsFullStage0 {
            Stage0Context.discardStderr()
            handOver()
        } catch {
            Stage0Context.releaseStderr()
            Stage0Context.exit(for: error, command: rewritten.leaf, debug: rewritten.debug)
        }
        exit(RktCommon.ExitCode.success)
    }

    static func runKind(_ path: [String]) -> RunCommandKind? {
        switch path {
        case ["run"]: return .run
        case ["prepare"]: return .prepare
        case ["run-prepared"]: return .runPrepared
        default: return nil
        }
    }

    /// Replaces this process with `rkt-full`, same argv and environment. Nothing was written and
    /// no pod exists yet.
    static func handOver() -> Never {
        let full = PathUtil.join(Stage1Selection.executableDir(), "rkt-full")
        var cargs: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) } + [nil]
        execv(full, &cargs)
        Stage0Context.writeStderr("rkt: cannot run \(full): \(RktError.strerror(errno))\n")
        exit(RktCommon.ExitCode.failure)
    }
}
