import RktCommon
import Stage1Fly
import Testing

/// Golden argv for the stage1 entrypoints, as rkt's stage0 builds them (stage0/run.go etc.),
/// and Go-flag parsing as the stage1 binaries see it.
@Suite("Stage1 argv contract and Go-style flags")
struct FlyArgsTests {
    @Test("a default rkt run passes --net=default, --local-config and the uuid")
    func runDefault() {
        var a = Stage1RunArgs(uuid: "U")
        a.localConfig = "/etc/rkt"
        let (args, warnings) = a.argv(interfaceVersion: 5)
        #expect(args == ["--net=default", "--local-config=/etc/rkt", "U"])
        #expect(warnings.isEmpty)
    }

    @Test("every run flag appears in rkt's order for an interface-6 stage1")
    func runAll() {
        var a = Stage1RunArgs(uuid: "U")
        a.debug = true
        a.net = ["ptp0:IP=10.1.1.1;X=Y", "host"]
        a.interactive = true
        a.privateUsers = "65536:65536"
        a.mdsToken = "0123456789abcdef0123456789abcdef"
        a.localConfig = "/etc/rkt"
        a.hostname = "h"
        a.dnsConfMode = DNSConfMode(resolv: "host", hosts: "default")
        a.disableCapabilities = true
        a.disablePaths = true
        a.disableSeccomp = true
        a.mutable = true
        a.ipc = "parent"
        #expect(a.argv(interfaceVersion: 6).args == [
            "--debug", "--net=ptp0:IP=10.1.1.1;X=Y,host", "--interactive", "--private-users=65536:65536",
            "--mds-token=0123456789abcdef0123456789abcdef", "--local-config=/etc/rkt", "--hostname=h",
            "--dns-conf-mode=resolv=host,hosts=default", "--disable-capabilities-restriction", "--disable-paths",
            "--disable-seccomp", "--mutable", "--ipc=parent", "U",
        ])
    }

    @Test("old stage1s lose hostname, dns-conf-mode and ipc with warnings, insecure flags silently")
    func runGating() {
        var a = Stage1RunArgs(uuid: "U")
        a.hostname = "h"
        a.dnsConfMode = DNSConfMode(resolv: "none", hosts: "host")
        a.disablePaths = true
        a.ipc = "private"
        let v1 = a.argv(interfaceVersion: 1)
        #expect(v1.args == ["--net=default", "U"])
        #expect(v1.warnings == [
            "warning: --hostname option is not supported by stage1",
            "warning: --dns-conf-mode option not supported by stage1",
            "warning: --ipc option is not supported by stage1",
        ])
        let v5 = a.argv(interfaceVersion: 5)
        #expect(v5.args == ["--net=default", "--hostname=h", "--dns-conf-mode=resolv=none,hosts=host", "--disable-paths", "U"])
        #expect(v5.warnings == ["warning: --ipc option is not supported by stage1"])
    }

    @Test("run argv parses back into the same values")
    func runRoundTrip() throws {
        var a = Stage1RunArgs(uuid: "U")
        a.debug = true
        a.net = ["default"]
        a.hostname = "h"
        a.dnsConfMode = DNSConfMode(resolv: "stage0", hosts: "stage0")
        a.ipc = "auto"
        a.mutable = true
        #expect(try Stage1RunArgs(parsing: a.argv(interfaceVersion: 6).args) == a)
    }

    @Test("fly rejects --mutable, --ipc and --private-users; bad dns-conf-mode values fail with exit 2")
    func flyUndeclared() {
        for flag in ["--mutable", "--ipc=auto", "--private-users=1:2"] {
            #expect {
                try Stage1RunArgs(parsing: [flag, "U"], undeclared: Stage1RunArgs.flyUndeclared)
            } throws: { e in
                (e as? RktError)?.exitCode == 2
            }
        }
        #expect {
            try Stage1RunArgs(parsing: ["--dns-conf-mode=resolv=bogus", "U"])
        } throws: { e in
            (e as? RktError)?.message == "invalid value \"resolv=bogus\" for flag -dns-conf-mode: key resolv does not allow value bogus"
        }
    }

    @Test("Go flag syntax: single or double dash, = or separate value, bools only with =, -- ends flags")
    func goFlags() throws {
        var fs = GoFlagSet("t")
        fs.bool("debug")
        fs.string("pid")
        let a = try fs.parse(["-debug=false", "--pid", "42", "--", "--debug", "x"])
        #expect(!a.bool("debug") && a.string("pid") == "42" && a.arguments == ["--debug", "x"])
        let b = try fs.parse(["--debug", "false", "-pid=7"])
        #expect(b.bool("debug") && b.arguments == ["false", "-pid=7"])
        #expect(throws: RktError.self) { try fs.parse(["--pid"]) }
        #expect(throws: RktError.self) { try fs.parse(["---debug"]) }
        #expect(throws: RktError.self) { try fs.parse(["--debug=maybe"]) }
        #expect(throws: RktError.self) { try fs.parse(["--nope"]) }
    }

    @Test("enter, gc and stop argv match rkt's")
    func otherEntrypoints() throws {
        let e = Stage1EnterArgs(pid: "123", appName: "app", command: ["/bin/sh", "-c", "x"])
        #expect(e.argv() == ["--pid=123", "--appname=app", "--", "/bin/sh", "-c", "x"])
        #expect(try Stage1EnterArgs(parsing: e.argv()) == e)
        let g = Stage1GCArgs(uuid: "U", debug: true, localConfig: "/etc/rkt")
        #expect(g.argv(interfaceVersion: 5) == ["--debug", "--local-config", "/etc/rkt", "U"])
        #expect(g.argv(interfaceVersion: 4) == ["--debug", "U"])
        #expect(try Stage1GCArgs(parsing: g.argv(interfaceVersion: 5)) == g)
        #expect(Stage1StopArgs(uuid: "U", force: true).argv() == ["--force", "U"])
        #expect(try Stage1StopArgs(parsing: ["--force", "U"]) == Stage1StopArgs(uuid: "U", force: true))
    }
}
