#if canImport(Glibc)
import Glibc
#endif
import CShim
import RktCommon

/// The three commands end to end, so the executable's files stay glue
/// (rkt: rkt/run.go, rkt/prepare.go, rkt/run_prepared.go).
public enum RunFlow {
    /// `run`, `prepare`, `run-prepared` and the other pod-changing commands need root.
    public static func ensureSuperuser() throws {
        guard geteuid() == 0 else { throw RktError("cannot run as unprivileged user") }
    }

    /// What `run`, `prepare` and `run-prepared` do before their own work: the root check, the
    /// run grammar (global flags included), the context and the phase timer, the validation.
    public static func begin(_ kind: RunCommandKind, globals: GlobalFlags, arguments: [String]) throws
        -> (options: RunOptions, dns: PodDNS, context: Stage0Context, timer: PhaseTimer) {
        try ensureSuperuser()
        var options = try RunArgParser(command: kind).parse(arguments)
        let context = try globals.context(kind.name, adding: options.globalArgs)
        let timer = PhaseTimer(enabled: context.debug, command: kind.name)
        let dns = try options.validate(for: kind)
        timer.mark("parse")
        return (options, dns, context, timer)
    }

    /// `rkt run`: prepare, go straight to `run/` (skipping `prepared`), exec stage1.
    public static func run(_ options: RunOptions, dns: PodDNS, context: Stage0Context, timer: PhaseTimer,
                           images: ImageSourceFactory) throws -> Never {
        let prepared = try PodPreparer(context: context, timer: timer, images: images).prepare(options)
        do {
            try prepared.pod.toRun()
        } catch {
            throw RktError("unable to transition to run", cause: error)
        }
        try Stage1Handoff(
            context: context, pod: prepared.pod, options: options, dns: dns, passLocalConfig: true,
            forwardIPC: true, timer: timer
        ).run()
    }

    /// `rkt prepare`: the pod ends in `prepared/`, unlocked; returns its UUID for stdout.
    public static func prepare(_ options: RunOptions, context: Stage0Context, timer: PhaseTimer,
                               images: ImageSourceFactory) throws -> String {
        let prepared = try PodPreparer(context: context, timer: timer, images: images).prepare(options)
        let pod = prepared.pod
        let fd = open(pod.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = rkt_syncfs(fd)
            close(fd)
        }
        do {
            try pod.toPrepared()
        } catch {
            throw RktError("cannot transition to prepared", cause: error)
        }
        return pod.uuid
    }

    /// `rkt run-prepared UUID`: only a `prepared` pod; its runtime flags come from this command line.
    public static func runPrepared(_ options: RunOptions, dns: PodDNS, context: Stage0Context, timer: PhaseTimer) throws -> Never {
        let uuid = options.uuid ?? ""
        let pod: Pod
        do {
            pod = try Pod.load(dataDir: context.dataDir, uuidPrefix: uuid)
        } catch {
            throw RktError("problem retrieving pod", cause: error)
        }
        guard pod.state == .prepared else {
            throw RktError("pod \"\(pod.uuid)\" is not prepared")
        }
        if options.interactive {
            let apps = (try? pod.manifest().apps.count) ?? 0
            if apps > 1 { throw RktError("interactive option only supports pods with one app") }
        }
        if pod.usesOverlay, let why = OverlaySupport.unsupportedReason(dataDir: context.dataDir) {
            throw RktError("pod \(pod.uuid) was prepared with overlay but overlay is not supported now", causes: [why])
        }
        timer.mark("store lookup")
        do {
            try pod.toRun()
        } catch {
            throw RktError("cannot transition to run", cause: error)
        }
        try Stage1Handoff(
            context: context, pod: pod, options: options, dns: dns, passLocalConfig: false, forwardIPC: false,
            timer: timer
        ).run()
    }
}
