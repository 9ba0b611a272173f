import ArgumentParser
import RktCommon
import Stage0

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
        try RunFlow.ensureSuperuser()
        var options = try RunArgParser(command: .run).parse(arguments)
        let context = try globals.merging(options.globalArgs).context("run")
        let timer = PhaseTimer(enabled: context.debug, command: "run")
        let dns = try options.validate(for: .run)
        timer.mark("parse")
        try RunFlow.run(options, dns: dns, context: context, timer: timer)
    }
}

extension GlobalOptions {
    /// Applies global flags the run grammar met among its own arguments (cobra accepts
    /// persistent flags anywhere before the first image), later ones winning.
    func merging(_ extra: [String]) throws -> GlobalOptions {
        guard !extra.isEmpty else { return self }
        let parsed = try GlobalOptions.parse(extra)
        var merged = self
        for token in extra {
            switch token.split(separator: "=", maxSplits: 1).first.map(String.init) ?? token {
            case "--dir": merged.dir = parsed.dir
            case "--system-config": merged.systemConfig = parsed.systemConfig
            case "--local-config": merged.localConfig = parsed.localConfig
            case "--user-config": merged.userConfig = parsed.userConfig
            case "--insecure-options": merged.insecureOptions = parsed.insecureOptions
            case "--trust-keys-from-https": merged.trustKeysFromHTTPS = parsed.trustKeysFromHTTPS
            case "--debug": merged.debug = parsed.debug
            default: break
            }
        }
        return merged
    }
}
