import RktCommon
import RktJSON
import Testing

@Suite("resource quantities")
struct QuantityTests {
    @Test(
        "parses values and rounds up to milli precision",
        arguments: [
            // (text, value (rounded up), milliValue)
            ("1", 1, 1000),
            ("500m", 1, 500),
            ("128M", 128_000_000, 128_000_000_000),
            ("1Gi", 1_073_741_824, 1_073_741_824_000),
            ("1.5Gi", 1_610_612_736, 1_610_612_736_000),
            ("1k", 1000, 1_000_000),
            ("123Mi", 128_974_848, 128_974_848_000),
            ("125952Ki", 128_974_848, 128_974_848_000),
            ("128974848", 128_974_848, 128_974_848_000),
            ("0.1m", 1, 1),
            ("1e3", 1000, 1_000_000),
            ("1E3", 1000, 1_000_000),
            ("1e-3", 1, 1),
            (".5", 1, 500),
            ("1.", 1, 1000),
            ("+2", 2, 2000),
            ("10n", 1, 1),
            ("0", 0, 0),
            ("2Ei", 2_305_843_009_213_693_952, Int64.max),
        ] as [(String, Int64, Int64)])
    func parses(text: String, value: Int64, milli: Int64) throws {
        let q = try Quantity(text)
        #expect(q.value == value)
        #expect(q.milliValue == milli)
        #expect(q.description == text)
    }

    @Test(
        "rejects garbage, negatives and the upper-case K",
        arguments: ["1K", "1.1.M", "1+1.0M", "0.1mi", "aoeu", "1i", " 1", "1 ", "", "-1", "-500m", ".", "Gi", "1e", "99999999999999999999"])
    func rejects(text: String) {
        #expect(throws: RktError.self) { try Quantity(text) }
    }

    @Test("equal values compare equal whatever the spelling")
    func equality() throws {
        #expect(try Quantity("123Mi") == Quantity("128974848"))
        #expect(try Quantity("1000m") == Quantity("1"))
        #expect(try Quantity("1k") != Quantity("1Ki"))
    }

    @Test("quantities decode from strings or numbers and encode as strings")
    func coding() throws {
        #expect(try decodeJSON(Quantity.self, from: #""1Gi""#).value == 1_073_741_824)
        #expect(try decodeJSON(Quantity.self, from: "1024").value == 1024)
        #expect(try encodeJSONString([try Quantity("500m")]) == #"["500m"]"#)
        #expect(throws: (any Error).self) { try decodeJSON(Quantity.self, from: #""1K""#) }
    }
}

@Suite("isolators")
struct IsolatorTests {
    func typed(_ name: String, _ value: String) throws -> IsolatorValue {
        try Isolator(name: name, value: parseJSON(value)).typed()
    }

    @Test("standard isolators decode into typed values")
    func typedValues() throws {
        #expect(try typed("resource/memory", #"{"request":"1G","limit":"2G"}"#) == .memory(ResourceValue(request: Quantity("1G"), limit: Quantity("2G"))))
        #expect(try typed("resource/cpu", #"{"limit":"500m"}"#) == .cpu(ResourceValue(limit: Quantity("500m"))))
        #expect(try typed("resource/block-bandwidth", #"{"default":true,"limit":"1M"}"#) == .blockBandwidth(ResourceValue(limit: Quantity("1M"), isDefault: true)))
        #expect(try typed("os/linux/capabilities-retain-set", #"{"set":["CAP_NET_ADMIN"]}"#) == .capabilitiesRetain(["CAP_NET_ADMIN"]))
        #expect(try typed("os/linux/capabilities-remove-set", #"{"set":["CAP_MKNOD"]}"#) == .capabilitiesRemove(["CAP_MKNOD"]))
        #expect(try typed("os/linux/seccomp-retain-set", #"{"set":["@rkt/default-whitelist"],"errno":"ENOSYS"}"#) == .seccompRetain(SeccompSet(set: ["@rkt/default-whitelist"], errno: "ENOSYS")))
        #expect(try typed("os/linux/seccomp-remove-set", #"{"set":["reboot"]}"#) == .seccompRemove(SeccompSet(set: ["reboot"])))
        #expect(try typed("os/linux/no-new-privileges", "true") == .noNewPrivileges(true))
        #expect(try typed("os/linux/oom-score-adj", "-1000") == .oomScoreAdj(-1000))
        #expect(try typed("os/linux/cpu-shares", "1024") == .cpuShares(1024))
        #expect(try typed("os/linux/selinux-context", #"{"user":"u","role":"r","type":"t","level":"s0:c1,c2"}"#) == .selinuxContext(SELinuxContext(user: "u", role: "r", type: "t", level: "s0:c1,c2")))
        #expect(try typed("os/linux/apparmor-profile", #"{"profile":"docker-default"}"#) == .apparmorProfile("docker-default"))
        #expect(try typed("os/unix/sysctl", #"{"net.ipv4.ip_forward":"1"}"#) == .sysctl([(key: "net.ipv4.ip_forward", value: "1")]))
    }

    @Test(
        "invalid isolator values are rejected",
        arguments: [
            ("resource/memory", #"{"limit":"1K"}"#, "invalid limit quantity"),
            ("resource/memory", #"{"limit":"-1"}"#, "invalid limit quantity"),
            ("resource/memory", #"{"limit":"0"}"#, "limit must not be zero"),
            ("resource/memory", #"{"default":true,"limit":"1G"}"#, "default must be false"),
            ("resource/memory", #""1G""#, "value must be an object"),
            ("resource/cpu", #"{"limit":"5m"}"#, "below the minimum of 10m"),
            ("resource/cpu", #"{"limit":"9223372036854775807"}"#, "cpu limit exceeds the maximum millivalue"),
            ("resource/block-iops", #"{"limit":"100"}"#, "default must be true"),
            ("resource/network-bandwidth", #"{"default":true,"request":"1","limit":"1"}"#, "request not supported by this resource, must be empty"),
            ("os/linux/capabilities-retain-set", #"{"set":[]}"#, "set must be non-empty"),
            ("os/linux/capabilities-retain-set", #"{"set":["CAP_FLY"]}"#, #"unknown capability "CAP_FLY""#),
            ("os/linux/seccomp-retain-set", #"{"set":[]}"#, "set must be non-empty"),
            ("os/linux/seccomp-remove-set", #"{"set":["x"],"errno":"enosys"}"#, #"invalid errno "enosys""#),
            ("os/linux/no-new-privileges", "1", "value must be a boolean"),
            ("os/linux/oom-score-adj", "1001", "out of range"),
            ("os/linux/cpu-shares", "1", "out of range"),
            ("os/linux/cpu-shares", "262145", "out of range"),
            ("os/linux/cpu-shares", "1.5", "value must be an integer"),
            ("os/linux/selinux-context", #"{"user":"u","role":"r","type":"t"}"#, "level must be set"),
            ("os/linux/selinux-context", #"{"user":"u:x","role":"r","type":"t","level":"s0"}"#, "user must not contain ':'"),
            ("os/linux/apparmor-profile", #"{"profile":""}"#, "profile must be set"),
            ("os/unix/sysctl", #"{"net.x":1}"#, "value of net.x must be a string"),
        ])
    func rejects(name: String, value: String, reason: String) throws {
        let v = try parseJSON(value)
        let err = #expect(throws: RktError.self) { try Isolator(name: name, value: v).typed(path: "isolators[0].value") }
        #expect(err?.message == "isolators[0].value: \(name): \(reason)" || err?.message.contains(reason) == true, "got \(err?.message ?? "")")
        #expect(err?.message.hasPrefix("isolators[0].value: \(name): ") == true)
    }

    @Test(
        "app isolator sets reject duplicates and conflicts",
        arguments: [
            (#"[{"name":"os/linux/capabilities-retain-set","value":{"set":["CAP_KILL"]}},{"name":"os/linux/capabilities-remove-set","value":{"set":["CAP_KILL"]}}]"#, "incompatible types"),
            (#"[{"name":"os/linux/seccomp-retain-set","value":{"set":["a"]}},{"name":"os/linux/seccomp-remove-set","value":{"set":["b"]}}]"#, "incompatible types"),
            (#"[{"name":"os/linux/seccomp-retain-set","value":{"set":["a"]}},{"name":"os/linux/seccomp-retain-set","value":{"set":["b"]}}]"#, "too many instances of type os/linux/seccomp-retain-set"),
            (#"[{"name":"os/linux/oom-score-adj","value":1},{"name":"os/linux/oom-score-adj","value":2}]"#, "too many instances"),
            (#"[{"name":"os/unix/sysctl","value":{}}]"#, "only valid at pod level"),
        ])
    func appSetRules(isolators: String, reason: String) {
        let err = imageManifestError(manifestWithApp(#"{"user":"0","group":"0","isolators":\#(isolators)}"#))
        #expect(err?.hasPrefix("app.isolators") == true && err?.contains(reason) == true, "got \(err ?? "no error")")
    }

    @Test("several memory isolators are allowed in an app; the last one wins")
    func multipleMemory() throws {
        let m = try decodeJSON(
            ImageManifest.self,
            from: manifestWithApp(#"{"user":"0","group":"0","isolators":[{"name":"resource/memory","value":{"limit":"1G"}},{"name":"resource/memory","value":{"limit":"2G"}}]}"#))
        #expect(m.app?.isolators.last(named: "resource/memory")?.value["limit"] == "2G")
        #expect(m.app?.isolators.typed.count == 2)
    }

    @Test("flag constructors build the JSON rkt writes")
    func constructors() throws {
        #expect(try encodeJSONString(Isolator.memoryLimit(Quantity("128M"))) == #"{"name":"resource/memory","value":{"request":"128M","limit":"128M"}}"#)
        #expect(try encodeJSONString(Isolator.cpuLimit(Quantity("500m"))) == #"{"name":"resource/cpu","value":{"request":"500m","limit":"500m"}}"#)
        #expect(try encodeJSONString(Isolator.capabilitiesRetain(["CAP_NET_ADMIN"])) == #"{"name":"os/linux/capabilities-retain-set","value":{"set":["CAP_NET_ADMIN"]}}"#)
        #expect(try encodeJSONString(Isolator.seccompRemove(["reboot"], errno: "EPERM")) == #"{"name":"os/linux/seccomp-remove-set","value":{"set":["reboot"],"errno":"EPERM"}}"#)
        #expect(try encodeJSONString(Isolator.noNewPrivileges(true)) == #"{"name":"os/linux/no-new-privileges","value":true}"#)
        #expect(try encodeJSONString(Isolator.oomScoreAdj(-5)) == #"{"name":"os/linux/oom-score-adj","value":-5}"#)
        // Every constructor yields a value its own parser accepts.
        let all: [Isolator] = [
            .memoryLimit(try Quantity("1G")), .cpuLimit(try Quantity("1")), .capabilitiesRemove(["CAP_MKNOD"]),
            .seccompRetain(["@appc.io/all"]), .cpuShares(512), .apparmorProfile("p"), .sysctl([("net.core.somaxconn", "1024")]),
            .selinuxContext(SELinuxContext(user: "u", role: "r", type: "t", level: "s0")),
        ]
        for iso in all {
            let back = try decodeJSON(Isolator.self, from: try encodeJSON(iso))
            #expect(back == iso)
            #expect(throws: Never.self) { try back.typed() }
        }
    }

    @Test("capability names normalize like rkt's flags")
    func capabilities() {
        #expect(LinuxCapability.normalize("net_admin") == "CAP_NET_ADMIN")
        #expect(LinuxCapability.normalize("CAP_SYS_ADMIN") == "CAP_SYS_ADMIN")
        #expect(LinuxCapability.number("CAP_SYS_ADMIN") == 21)
        #expect(LinuxCapability.defaultBoundingSet.count == 14)
        #expect(LinuxCapability.defaultBoundingSet.allSatisfy(LinuxCapability.isKnown))
    }
}
