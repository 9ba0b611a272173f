import RktCommon
import Testing
@testable import Stage0
@testable import Stage0Core

@Suite("rkt run flag grammar")
struct RunArgParserTests {
    func parse(_ args: [String], _ cmd: RunCommandKind = .run) throws -> RunOptions {
        try RunArgParser(command: cmd).parse(args)
    }

    func failure(_ args: [String], _ cmd: RunCommandKind = .run) -> String {
        do {
            var o = try parse(args, cmd)
            try o.validate(for: cmd)
            return "no error"
        } catch let e as RktError {
            return e.description
        } catch {
            return "\(error)"
        }
    }

    @Test("the documented two-image example splits exec, args and the --- terminator")
    func documentedExample() throws {
        let o = try parse([
            "example.com/worker", "--exec", "/bin/ov", "--", "--loglevel", "verbose", "---",
            "example.com/syncer", "--exec=/bin/syncer2", "--", "--interval", "30s",
        ])
        #expect(o.apps.map(\.image) == ["example.com/worker", "example.com/syncer"])
        #expect(o.apps[0].exec == "/bin/ov")
        #expect(o.apps[0].args == ["--loglevel", "verbose"])
        #expect(o.apps[1].exec == "/bin/syncer2")
        #expect(o.apps[1].args == ["--interval", "30s"])
    }

    @Test("args after -- may look like flags and images, up to the end without ---")
    func argsSwallowEverything() throws {
        let o = try parse(["img", "--", "--net=host", "other-image", "--"])
        #expect(o.apps.count == 1)
        #expect(o.apps[0].args == ["--net=host", "other-image", "--"])
        #expect(o.net.isEmpty)
    }

    @Test("per-app flags apply to the image before them; pod flags work anywhere")
    func perAppScoping() throws {
        let o = try parse([
            "--volume=data,kind=host,source=/srv", "--mount", "volume=data,target=/all",
            "a.aci", "--user=200", "--group", "300", "--name=first", "--mount=volume=data,target=/a",
            "--hostname", "h1", "b.aci", "--working-dir=/w", "--environment=X=1", "--readonly-rootfs",
        ])
        #expect(o.podMounts == [MountSpec(volume: "data", target: "/all")])
        #expect(o.apps[0].user == "200" && o.apps[0].group == "300" && o.apps[0].name == "first")
        #expect(o.apps[0].mounts == [MountSpec(volume: "data", target: "/a")])
        #expect(o.apps[1].workingDir == "/w")
        #expect(o.apps[1].environment == [KeyValue("X", "1")])
        #expect(o.apps[1].readOnlyRootFS == true)
        #expect(o.hostname == "h1")
        #expect(o.volumes.first?.source == "/srv")
    }

    @Test("--net alone means default and does not take the next word as its value")
    func netOptionalValue() throws {
        let o = try parse(["--net", "host-image"])
        #expect(o.net == [NetEntry(name: "default")])
        #expect(o.apps.map(\.image) == ["host-image"])
        let p = try parse(["--net=default:IP=172.16.28.123,bridge0", "img"])
        #expect(p.netFlagValue == "default:IP=172.16.28.123,bridge0")
        #expect(try parse(["img"]).netFlagValue == "default")
    }

    @Test("boolean flags take =value forms only")
    func booleans() throws {
        #expect(try parse(["--inherit-env=false", "img"]).inheritEnv == false)
        #expect(try parse(["--inherit-env", "img"]).inheritEnv == true)
        #expect(failure(["--inherit-env=maybe", "img"]).contains("strconv.ParseBool: parsing \"maybe\": invalid syntax"))
    }

    @Test("global flags met after the subcommand are collected for the caller")
    func globalsCollected() throws {
        let o = try parse(["--stage1-path=x.aci", "--debug", "--insecure-options", "image", "img"])
        #expect(o.globalArgs == ["--debug", "--insecure-options=image"])
        #expect(o.stage1 == .path("x.aci"))
    }

    @Test("grammar errors carry rkt's wording", arguments: [
        (["--exec=/bin/sh", "img"], "--exec must follow an image"),
        (["--", "x"], "an image is required before any app arguments"),
        (["img", "--", "a", "---", "--", "b"], "only one set of app arguments allowed per image"),
        (["img", "--exec=/a", "--exec=/b"], "--exec specified multiple times for the same image"),
        (["--bogus", "img"], "unknown flag: --bogus"),
        (["img", "--user"], "flag needs an argument: --user"),
        (["--stage1-path=a", "--stage1-name=b", "img"], "flags --stage1-name and --stage1-path are mutually exclusive"),
        (["--stage1-path=a", "--stage1-path=b", "img"], "--stage1-path already used"),
        (["img", "--memory=16m"], "memory limit of 1 bytes too low"),
        (["img", "--memory=lots"], "quantities must match"),
        (["img", "--cpu=1x"], "quantities must match"),
        (["img", "--caps-retain=CAP_FLY"], "unknown capability \"CAP_FLY\""),
        (["img", "--seccomp=mode=keep,chmod"], "unknown seccomp mode \"keep\""),
        (["img", "--seccomp=chmod"], "missing seccomp mode"),
        (["--port=http", "img"], "\"http\" is not in name:[ip:]port format"),
        (["--port=http:99999", "img"], "is not a valid port number"),
        (["--volume=data,kind=host", "img"], "source for host volume cannot be empty"),
        (["--volume=data,kind=host,source=rel", "img"], "source for host volume must be absolute path"),
        (["--volume=data,kind=nfs", "img"], "unrecognized volume type: \"nfs\""),
        (["--net=host", "--net=default", "img"], "--net=host cannot be combined with other networks"),
        (["--net=a,a", "img"], "network \"a\" specified more than once"),
        (["--set-env=A=1", "--set-env=A=2", "img"], "key \"A\" already set"),
        (["--set-env=novalue", "img"], "must be specified as key=value"),
        (["--ipc=supercalifragilisticexpialidocious", "img"], "invalid ipc mode"),
        (["img", "--oom-score-adj=5000"], "oom-score-adj must be in range"),
    ] as [([String], String)])
    func grammarErrors(args: [String], message: String) {
        let got = failure(args)
        #expect(got.contains(message), "got: \(got)")
        #expect(got.hasPrefix("error parsing app image arguments"), "got: \(got)")
    }

    @Test("validation rejects flag combinations before anything is created", arguments: [
        (["--port=http:80", "--net=host", "img"], "--port flag does not work with 'host' networking"),
        (["--port=http:80", "--net=none", "img"], "--port flag does not work with 'none' networking"),
        (["--mds-register", "--net=none", "img"], "--mds-register flag does not work with --net=none. Please use 'host', 'default' or an equivalent network"),
        (["--interactive", "a", "b"], "interactive option only supports one image"),
        (["--pod-manifest=/dev/null", "--inherit-env"], "conflicting flags set with --pod-manifest (see --help)"),
        (["--pod-manifest=/dev/null", "--set-env=foo=bar"], "conflicting flags set with --pod-manifest (see --help)"),
        (["--pod-manifest=/dev/null", "--port=foo:80"], "conflicting flags set with --pod-manifest (see --help)"),
        (["--pod-manifest=/dev/null", "--volume=foo,kind=host,source=/tmp"], "conflicting flags set with --pod-manifest (see --help)"),
        (["--pod-manifest=/dev/null", "--mount=volume=foo,target=/tmp", "--volume=foo,kind=host,source=/tmp"], "conflicting flags set with --pod-manifest (see --help)"),
        (["--pod-manifest=/dev/null", "--store-only"], "conflicting flags set with --pod-manifest (see --help)"),
        (["dummy-image.aci", "--pod-manifest=/dev/null", "--exec=/bin/sh"], "conflicting flags set with --pod-manifest (see --help)"),
        (["--store-only", "--no-store", "img"], "both --store-only and --no-store specified"),
        ([], "must provide at least one image or specify the pod manifest"),
        (["--pull-policy=sometimes", "img"], "invalid pull policy \"sometimes\""),
        (["img", "--name=a", "img", "--name=a"], "error: multiple apps with name a"),
        (["img", "--mount=volume=nope,target=/x"], "no volume named \"nope\""),
        (["--volume=v,kind=empty", "--volume=v,kind=empty", "img"], "duplicate volume name \"v\""),
        (["--dns=8.8.8.8.8", "img"], "Invalid IP passed to --dns: 8.8.8.8.8"),
        (["--dns=host", "--dns=8.8.8.8", "img"], "no other --dns options allowed when --dns=host is passed"),
        (["--dns=none", "--dns-search=a.com", "img"], "Cannot call --dns-opt, --dns-search, or --dns-domain with --dns=none"),
        (["--hosts-entry=host", "--hosts-entry=1.2.3.4=a", "img"], "cannot pass --hosts-entry=host with multiple hosts-entries"),
        (["--hosts-entry=nonsense", "img"], "Did not understand --hosts-entry nonsense"),
    ] as [([String], String)])
    func validationErrors(args: [String], message: String) {
        let got = failure(args)
        #expect(got.contains(message), "got: \(got)")
    }

    @Test("prepare refuses runtime-only flags and run-prepared takes one UUID")
    func commandFlagSets() throws {
        #expect(failure(["--net=host", "img"], .prepare).contains("unknown flag: --net"))
        #expect(try parse(["--quiet", "img"], .prepare).quiet)
        let rp = try parse(["--net=host", "--hostname=x", "1234abcd"], .runPrepared)
        #expect(rp.uuid == "1234abcd" && rp.hostname == "x" && rp.netHost)
        #expect(failure(["--exec=/x", "1234"], .runPrepared).contains("unknown flag: --exec"))
        #expect(failure([], .runPrepared).contains("UUID cannot be empty"))
    }

    @Test("deprecated store flags become pull policies")
    func deprecatedStoreFlags() throws {
        var o = try parse(["--store-only", "img"])
        try o.validate(for: .run)
        #expect(o.pullPolicy == "never")
        var p = try parse(["--no-store", "img"])
        try p.validate(for: .run)
        #expect(p.pullPolicy == "update")
    }
}
