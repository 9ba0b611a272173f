/// Moves flags written before the subcommand name to just after it.
///
/// cobra (rkt's parser) accepts persistent and even subcommand flags before the subcommand:
/// `rkt --dir=/x --insecure-options=image run …`, `rkt --set-env=A=b run …`. ArgumentParser only
/// accepts a flag on the command that declares it, so `main` rewrites argv first. Only tokens
/// before the (leaf) subcommand name move; everything after it, including `run`'s `-- args`,
/// stays exactly where it was. Unambiguous subcommand prefixes are expanded as cobra does.
public enum ArgvRewriter {
    /// One command of the tree: its name and its subcommands.
    public struct Node: Sendable {
        public var name: String
        public var children: [Node]
        public init(_ name: String, _ children: [Node] = []) {
            self.name = name
            self.children = children
        }
    }

    public struct Result: Equatable, Sendable {
        public var arguments: [String]
        /// The subcommand names from the root, e.g. `["image", "list"]`; empty when none was given.
        public var path: [String]
        /// `--debug` appeared (so `main` prints whole error chains even for parse errors).
        public var debug: Bool
        /// The name rkt prefixes its stderr lines with: the leaf subcommand, or `rkt`.
        public var leaf: String { path.last ?? "rkt" }
    }

    /// rkt's top-level commands, in `rkt help`'s order (RktCLITests checks `rkt-full`'s command
    /// tree against it). `rkt` finds `run`, `prepare` and `run-prepared` with it.
    public static let topLevelNames = [
        "run", "prepare", "run-prepared", "list", "status", "stop", "rm", "gc", "enter", "attach",
        "cat-manifest", "logs", "fetch", "image", "trust", "config", "version",
    ]

    // These short lists are arrays, not sets: the first Set<String> of a process costs a metadata
    // instantiation and a conformance scan (~0.2 ms of every rkt start), a lookup here nothing.

    /// Global flags that take a value, so `--dir /x` moves as two tokens.
    public static let valueFlags: [String] = [
        "--dir", "--system-config", "--local-config", "--user-config", "--insecure-options",
        "--cpuprofile", "--memprofile",
    ]
    /// Go boolean flags (default false) written `--flag=true|false`: ArgumentParser flags take
    /// no value, so `=true` becomes `--flag` and `=false` is dropped. Declare them as `@Flag`.
    public static let falseDefaultBoolFlags: [String] = [
        "--debug", "--trust-keys-from-https", "--full", "--no-legend", "--overwrite", "--rootfs-only",
        "--store-only", "--no-store",
    ]
    /// Go boolean flags that default to true: `=false` becomes `--no-flag`, `=true` is dropped.
    /// Declare them as `@Flag(inversion: .prefixedNo)` with a default of true.
    public static let trueDefaultBoolFlags: [String] = ["--pretty-print"]
    /// Hidden Go profiling flags: accepted and dropped.
    static let droppedFlags: [String] = ["--cpuprofile", "--memprofile"]

    public static func rewrite(_ args: [String], root: Node) -> Result {
        var moved: [String] = []
        var path: [String] = []
        var node = root
        var i = 0
        // Walk down the tree, collecting flags between subcommand names.
        while i < args.count {
            let tok = args[i]
            if tok == "--" || tok == "-h" || tok == "--help" || tok == "--version" { break }
            if tok.hasPrefix("-") && tok.count > 1 {
                let name = tok.split(separator: "=", maxSplits: 1).first.map(String.init) ?? tok
                moved.append(tok)
                if valueFlags.contains(name) && tok.firstIndex(of: "=") == nil && i + 1 < args.count {
                    moved.append(args[i + 1])
                    i += 1
                }
                i += 1
                continue
            }
            guard let child = match(tok, in: node.children) else { break }
            path.append(child.name)
            node = child
            i += 1
            if child.children.isEmpty { break }
        }
        var out = path
        if path.isEmpty {
            // No subcommand: leave argv as it was so usage/help/errors come out naturally.
            out = []
            i = 0
            moved = []
        }
        out += normalize(moved) + normalize(Array(args[i...]), stopAtDoubleDash: true)
        let debug = out.prefix { $0 != "--" }.contains("--debug")
        return Result(arguments: out, path: path, debug: debug)
    }

    /// Exact name, else a unique prefix (cobra's `EnablePrefixMatching`).
    static func match(_ token: String, in children: [Node]) -> Node? {
        if let exact = children.first(where: { $0.name == token }) { return exact }
        let candidates = children.filter { $0.name.hasPrefix(token) }
        return candidates.count == 1 ? candidates[0] : nil
    }

    /// Go `--flag=true|false` forms to ArgumentParser flags; profiling flags dropped.
    static func normalize(_ tokens: [String], stopAtDoubleDash: Bool = false) -> [String] {
        var out: [String] = []
        var i = 0
        while i < tokens.count {
            let tok = tokens[i]
            if stopAtDoubleDash && tok == "--" {
                out += tokens[i...]
                break
            }
            // omittingEmptySubsequences: false keeps `""` and `=x` as real (empty-named) parts,
            // so an empty argument (`rkt rm ""`) reaches the command that reports it.
            let parts = tok.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            if parts.count == 2, falseDefaultBoolFlags.contains(parts[0]) || trueDefaultBoolFlags.contains(parts[0]) {
                let defaultTrue = trueDefaultBoolFlags.contains(parts[0])
                switch parts[1].lowercased() {
                case "true", "1", "t": if !defaultTrue { out.append(parts[0]) }
                case "false", "0", "f": if defaultTrue { out.append("--no-" + parts[0].dropFirst(2)) }
                default: out.append(tok)  // let the parser report the bad value
                }
            } else if droppedFlags.contains(parts[0]) {
                if parts.count == 1 { i += 1 }  // skip the separate value too
            } else {
                out.append(tok)
            }
            i += 1
        }
        return out
    }
}
