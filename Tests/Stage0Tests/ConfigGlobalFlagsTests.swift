import RktCommon
import Testing

@testable import Stage0
@testable import Stage0Core

@Suite("Global flags: argv rewriting and --insecure-options")
struct ConfigGlobalFlagsTests {
    static let tree = ArgvRewriter.Node("rkt", [
        .init("run"), .init("prepare"), .init("run-prepared"), .init("fetch"), .init("list"),
        .init("image", [.init("list"), .init("rm"), .init("gc")]),
    ])

    func rewrite(_ s: String) -> ArgvRewriter.Result {
        ArgvRewriter.rewrite(s.split(separator: " ").map(String.init), root: Self.tree)
    }

    @Test("globals before the subcommand move after it, in order")
    func movesGlobals() {
        let r = rewrite("--dir=/x --insecure-options image run --net=host img.aci")
        #expect(r.arguments == ["run", "--dir=/x", "--insecure-options", "image", "--net=host", "img.aci"])
        #expect(r.path == ["run"])
    }

    @Test("globals move past nested subcommands to the leaf")
    func nested() {
        let r = rewrite("--debug image --dir /d list --full")
        #expect(r.arguments == ["image", "list", "--debug", "--dir", "/d", "--full"])
        #expect(r.leaf == "list")
        #expect(r.debug)
    }

    @Test("arguments after the subcommand, including run's -- args, stay where they are")
    func keepsTail() {
        let r = rewrite("--debug run img --exec /bin/sh -- --debug=true -c x")
        #expect(r.arguments == ["run", "--debug", "img", "--exec", "/bin/sh", "--", "--debug=true", "-c", "x"])
    }

    @Test("subcommand flags written before the subcommand move too (cobra accepts them)")
    func subcommandFlagsBefore() {
        #expect(rewrite("--set-env=FILE=/x run img").arguments == ["run", "--set-env=FILE=/x", "img"])
    }

    @Test("Go boolean forms become ArgumentParser flags")
    func goBooleans() {
        #expect(rewrite("--debug=true list").arguments == ["list", "--debug"])
        #expect(rewrite("--debug=false list").arguments == ["list"])
        #expect(rewrite("image list --full=false --no-legend=true").arguments == ["image", "list", "--no-legend"])
        #expect(rewrite("fetch --pretty-print=false x").arguments == ["fetch", "--no-pretty-print", "x"])
        #expect(!rewrite("--debug=false list").debug)
    }

    @Test("unambiguous subcommand prefixes are expanded, ambiguous ones are left alone")
    func prefixes() {
        #expect(rewrite("ima li").arguments == ["image", "list"])
        #expect(rewrite("run-p x").arguments == ["run-prepared", "x"])
        #expect(rewrite("r x").arguments == ["r", "x"])
    }

    @Test("without a subcommand argv is left unchanged")
    func noSubcommand() {
        #expect(rewrite("--debug").arguments == ["--debug"])
        #expect(rewrite("--help").arguments == ["--help"])
        #expect(rewrite("--debug").path.isEmpty)
    }

    @Test("insecure options parse rkt's words and groups")
    func insecureOptions() throws {
        #expect(try InsecureOptions(parsing: "none") == [])
        #expect(try InsecureOptions(parsing: "image,tls") == [.image, .tls])
        #expect(try InsecureOptions(parsing: "all-fetch") == [.image, .tls, .http, .pubkey])
        #expect(try InsecureOptions(parsing: "all-run") == [.capabilities, .paths, .seccomp])
        let all = try InsecureOptions(parsing: "all")
        #expect(all.skipImageCheck && all.skipSeccomp && all.contains(.onDisk))
        #expect(try InsecureOptions(parsing: "ondisk").skipImageCheck == false)
    }

    @Test("an unknown insecure option is an error naming it")
    func insecureUnknown() {
        let err = #expect(throws: RktError.self) { try InsecureOptions(parsing: "image,bogus") }
        #expect(err?.message.contains("\"bogus\"") == true)
    }

    @Test("GlobalFlags: the run grammar's global tokens, later ones winning, Go booleans")
    func globalFlagsApply() throws {
        var f = GlobalFlags()
        try f.apply(["--dir=/a", "--insecure-options=image", "--debug", "--dir=/b", "--user-config=/u",
                     "--trust-keys-from-https=true", "--debug=false", "--volume=ignored"])
        #expect(f.dir == "/b")
        #expect(f.insecureOptions == "image")
        #expect(f.userConfig == "/u")
        #expect(f.trustKeysFromHTTPS)
        #expect(!f.debug)
        #expect(f.systemConfig == Stage0Context.defaultSystemConfigDir)
        try f.validate()

        var bad = GlobalFlags()
        #expect(throws: GlobalFlags.UsageError.self) { try bad.apply(["--debug=maybe"]) }
        bad.insecureOptions = "image,bogus"
        #expect(throws: GlobalFlags.UsageError.self) { try bad.validate() }
        #expect(throws: GlobalFlags.UsageError.self) { _ = try GlobalFlags().context("run", adding: ["--insecure-options=x"]) }
    }
}
