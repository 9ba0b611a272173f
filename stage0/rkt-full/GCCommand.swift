import ArgumentParser
import RktCommon
import Stage0
import Stage0Core

/// `rkt gc`: mark exited and aborted pods, expire prepared ones, delete garbage (rkt: rkt/gc.go).
struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Garbage collect rkt pods no longer in use",
        discussion: """
            This is intended to be run periodically from a timer or cron job.

            Garbage collection is a 2-step process. First, stopped pods are moved to the
            garbage by one invocation of the gc command. A subsequent invocation will clean
            up the pod, assuming the pod has been in the garbage for more time than the
            specified grace period.

            Use --grace-period=0s to effectively disable the grace-period.
            """)
    @OptionGroup var globals: GlobalOptions

    @Option(name: .customLong("grace-period"), help: "duration to wait before discarding inactive pods from garbage")
    var gracePeriod = "30m0s"

    @Option(name: .customLong("expire-prepared"), help: "duration to wait before expiring prepared pods")
    var expirePrepared = "24h0m0s"

    /// `--mark-only[=bool]`, a Go boolean ArgumentParser cannot take as `--mark-only=true`.
    @Argument(parsing: .allUnrecognized, help: .hidden)
    var rest: [String] = []

    func run() throws {
        let scanned = try PodCommandSupport.scanFlags(rest, known: ["--mark-only"])
        guard scanned.positional.isEmpty else { throw ValidationError("gc takes no arguments") }
        guard let markOnly = PodCommandSupport.parseBool(scanned.flags["--mark-only"] ?? "false") else {
            throw ValidationError("invalid argument for --mark-only")
        }
        let grace = try GoDuration.parse(gracePeriod)
        let expire = try GoDuration.parse(expirePrepared)
        try PodCommandSupport.ensureSuperuser()
        let context = try globals.context("gc")
        try Pod.ensureStateDirs(dataDir: context.dataDir)
        var gc = PodGarbageCollector(dataDir: context.dataDir)
        gc.gracePeriod = grace
        gc.expirePrepared = expire
        gc.markOnly = markOnly
        gc.debug = context.debug
        gc.localConfigDir = context.localConfigDir
        gc.stdout = { PodCommandSupport.stdout($0 + "\n") }
        gc.stderr = { PodCommandSupport.stderr("gc", $0) }
        gc.run()
    }
}
