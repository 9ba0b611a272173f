import ArgumentParser
import RktCommon
import Stage0
import Stage0Core

/// `rkt prepare IMAGE…`: like `run` up to the pod in `prepared/`; prints the pod UUID.
struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare", abstract: "Prepare to run image(s) in a pod in rkt",
        discussion: """
            IMAGE should be a string referencing an image; either a hash, local file on disk, or URL. \
            They will be checked in that order and the first match will be used.

            An "--" may be used to inhibit rkt prepare's parsing of subsequent arguments, which will \
            instead be appended to the preceding image app's exec arguments. End the image arguments \
            with a lone "---" to resume argument parsing.
            
            \(RunFlagsHelp.podFlags)

            \(RunFlagsHelp.appFlags)
            """)
    @OptionGroup var globals: GlobalOptions

    @Argument(parsing: .captureForPassthrough, help: "[--volume=name,kind=host,...] [--quiet] IMAGE [-- image-args...[---]]...")
    var arguments: [String] = []

    func run() throws {
        try Self.execute(globals: globals.flags, arguments: arguments)
    }

    /// Also `rkt`'s direct path (`RktMain`), with the global flags all among `arguments`.
    static func execute(globals: GlobalFlags, arguments: [String]) throws {
        let s = try RunFlow.begin(.prepare, globals: globals, arguments: arguments)
        print(try RunFlow.prepare(s.options, context: s.context, timer: s.timer, images: ImageFetcher.factory))
    }
}
