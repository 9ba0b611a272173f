import Glibc
import Stage1

// Multi-call binary: the entrypoint symlinks (init, enter, gc, stop, attach) and the hidden pod-init
// mode choose the command by argv[0]; `rkt-stage1 <mode> …` works too.
var args = CommandLine.arguments
var mode = String((args.first ?? "").split(separator: "/").last ?? "")
args.removeFirst(min(1, args.count))
if mode.hasPrefix("rkt-stage1"), let first = args.first {
    mode = first
    args.removeFirst()
}
let status: Int32
switch mode {
case "init", "run": status = InitCommand.main(args)
case "pod-init": status = PodInit.main()
case "net-teardown": status = NetTeardownCommand.main(args)
case "enter": status = EnterCommand.main(args)
case "stop": status = StopCommand.main(args)
case "gc": status = GCCommand.main(args)
case "attach": status = AttachCommand.main(args)
case "seccomp-export": status = SeccompExportCommand.main(args)  // build time, not an entrypoint
default:
    Log.write("stage1: unknown entrypoint \(mode) (want init, enter, stop, gc or attach)")
    status = 2
}
exit(status)
