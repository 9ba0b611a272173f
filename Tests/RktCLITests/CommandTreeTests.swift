import ArgumentParser
import Stage0
import Stage0Core
import Testing
@testable import rkt_full

/// `main` finds `run`, `prepare` and `run-prepared` from a list of top-level names instead of
/// ArgumentParser's command tree; the list must be the tree's top level.
@Suite("rkt's command tree")
struct CommandTreeTests {
    @Test("the top-level names main uses are Rkt's subcommands, in order")
    func topLevelNames() {
        #expect(RktMain.topLevelNames == Rkt.configuration.subcommands.map { $0.configuration.commandName ?? "" })
    }

    @Test("the run grammar's commands are leaves, so the top level alone rewrites their argv as the whole tree does",
          arguments: [
              ["--dir=/x", "run", "--net=host", "img", "--", "-a"], ["--debug", "prep", "img"],
              ["run-prepared", "uuid"], ["--insecure-options", "image", "run", "img"], ["ru", "img"],
              ["image", "list"], ["--dir", "/x", "list"], ["r", "x"], [],
          ])
    func quickRewrite(argv: [String]) {
        let full = ArgvRewriter.rewrite(argv, root: RktMain.tree(Rkt.self))
        let quick = ArgvRewriter.rewrite(argv, root: ArgvRewriter.Node("rkt", RktMain.topLevelNames.map { ArgvRewriter.Node($0) }))
        for name in ["run", "prepare", "run-prepared"] {
            #expect(RktMain.tree(Rkt.self).children.first { $0.name == name }?.children.isEmpty == true)
        }
        if RktMain.runGrammar(quick.path) != nil || RktMain.runGrammar(full.path) != nil {
            #expect(quick == full)
        }
    }
}
