import ArgumentParser
import RktCommon
import Stage0
import Stage0Core

/// `rkt run IMAGE… [-- args [---]]`: the argv after `run` is parsed by rkt's positional grammar
/// (`RunArgParser`), not by ArgumentParser, because per-app flags bind to the image before them.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run image(s) in a pod in rkt",
        discussion: """
            IMAGE should be a string referencing an image; either a hash, local file on disk, or URL. \
            They will be checked in that order and the first match will be used.

            Volumes are made available to the container via --volume. Mounts bind volumes into each \
            image's root within the container via --mount. --mount is position-sensitive; occurring \
            before any images applies to all images, occurring after any images applies only to the \
            nearest preceding image. Per-app mounts take precedence over global ones if they have the same path.

            An "--" may be used to inhibit rkt run's parsing of subsequent arguments, which will instead \
            be appended to the preceding image app's exec arguments. End the image arguments with a lone \
            "---" to resume argument parsing.
            
            \(RunFlagsHelp.podFlags)

            \(RunFlagsHelp.runtimeFlags)

            \(RunFlagsHelp.appFlags)
            """)
    @OptionGroup var globals: GlobalOptions

    @Argument(parsing: .captureForPassthrough, help: "[--volume=name,kind=host,...] [--mount volume=VOL,target=PATH] IMAGE [-- image-args...[---]]...")
    var arguments: [String] = []

    func run() throws {
        try Self.execute(globals: globals.flags, arguments: arguments)
    }

    /// Also `rkt`'s direct path (`RktMain`), with the global flags all among `arguments`.
    static func execute(globals: GlobalFlags, arguments: [String]) throws {
        let s = try RunFlow.begin(.run, globals: globals, arguments: arguments)
        try RunFlow.run(s.options, dns: s.dns, context: s.context, timer: s.timer, images: ImageFetcher.factory)
    }
}
