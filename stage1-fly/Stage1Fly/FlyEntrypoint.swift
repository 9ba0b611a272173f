import RktCommon
import RktOS

/// The multi-call dispatcher: the stage1-fly ACI has `run`, `enter`, `gc` and `stop` symlinks to
/// one binary, which picks its role from the basename of argv[0].
public enum FlyEntrypoint {
    public static func main(_ argv: [String]) -> Int32 {
        let name = PathUtil.basename(argv.first ?? "")
        let args = Array(argv.dropFirst())
        switch name {
        case "run": return FlyRun.main(args, program: argv.first ?? "run")
        case "enter": return FlyEnter.main(args)
        case "stop": return FlyStop.main(args)
        case "gc": return FlyGC.main(args)
        default:
            FlyLog.stderr("rkt-stage1-fly: unknown entrypoint \"\(name)\" (expected run, enter, gc or stop)\n")
            return ExitCode.failure
        }
    }
}

/// The fly `gc` entrypoint: nothing to do, stage0's mount GC unmounts everything fly mounted.
public enum FlyGC {
    public static func main(_ args: [String]) -> Int32 {
        FlyLog.parseArgs { try Stage1GCArgs(parsing: args) }.exit
    }
}
