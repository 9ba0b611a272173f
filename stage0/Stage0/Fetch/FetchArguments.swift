import RktCommon
import Stage0Core

/// The positional part of `rkt fetch`: images, each optionally followed by its
/// `--signature FILE` (rkt: rkt/cli_apps.go `parseApps` for fetch).
public enum FetchArguments {
    public struct Request: Equatable, Sendable {
        public var image: String
        public var signature: String?
    }

    public static func parse(_ args: [String]) throws -> [Request] {
        var out: [Request] = []
        var i = 0
        while i < args.count {
            let tok = args[i]
            if tok == "--signature" || tok.hasPrefix("--signature=") {
                guard !out.isEmpty else { throw RktError("unable to parse arguments", causes: ["--signature must follow an image"]) }
                var value: String
                if tok == "--signature" {
                    guard i + 1 < args.count else { throw RktError("unable to parse arguments", causes: ["flag needs an argument: --signature"]) }
                    value = args[i + 1]
                    i += 1
                } else {
                    value = String(tok.dropFirst("--signature=".count))
                }
                if value.isEmpty { throw RktError("unable to parse arguments", causes: ["empty --signature"]) }
                out[out.count - 1].signature = value
            } else if tok == "--" {
                // nothing after `--` is meaningful for fetch
            } else if tok.hasPrefix("-") && tok.count > 1 {
                throw RktError("unable to parse arguments", causes: ["unknown flag: \(tok)"])
            } else {
                out.append(Request(image: tok, signature: nil))
            }
            i += 1
        }
        return out
    }
}
