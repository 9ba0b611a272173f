import Glibc
import Stage1Fly

// Glue only: dispatch on argv[0] (run, enter, gc, stop).
exit(FlyEntrypoint.main(CommandLine.arguments))
