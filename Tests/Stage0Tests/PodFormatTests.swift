import Foundation
import RktJSON
import Testing
@testable import Stage0
@testable import Stage0Core

@Suite("Pod list and status output")
struct PodFormatTests {
    // Any fixed zone: the expected times go through the same rkt time formatter.
    let ny = TimeZone(identifier: "America/New_York") ?? .current
    let created = Date(timeIntervalSince1970: 1_700_000_000.5)
    let started = Date(timeIntervalSince1970: 1_700_000_060)
    let uuid = "0f746094-3438-42bc-ab37-3cf85f132e60"
    /// created/started as rkt prints them (layout `2006-01-02 15:04:05.999 -0700 MST`).
    var c: String { Humanize.rktTime(created, timeZone: ny) }
    var s: String { Humanize.rktTime(started, timeZone: ny) }

    func twoAppPod() -> PodSummary {
        PodSummary(
            uuid: uuid, state: .running, created: created, started: started,
            networks: [PodNetInfo(netName: "default", ip: "172.16.28.2")],
            apps: [
                .init(name: "web", imageName: "example.com/web:1.0", imageID: "sha512-0123456789abcdef0123456789"),
                .init(name: "db", imageName: nil, imageID: "sha512-fedcba9876543210fedcba9876"),
            ])
    }

    @Test("list prints one row per app with pod columns on the first row only")
    func listTable() {
        let out = PodListing().render([twoAppPod()], now: started.addingTimeInterval(150), timeZone: ny)
        let rows = out.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: true).map(String.init) }
        #expect(rows.count == 3)
        #expect(rows[0] == ["UUID", "APP", "IMAGE NAME", "STATE", "CREATED", "STARTED", "NETWORKS"])
        #expect(rows[1] == ["0f746094", "web", "example.com/web:1.0", "running", "3 minutes ago", "2 minutes ago", "default:ip4=172.16.28.2"])
        #expect(rows[2] == ["db", "--"])
    }

    @Test("list --full shows the whole uuid, the image id and absolute times")
    func listFull() {
        var l = PodListing()
        l.full = true
        l.noLegend = true
        let out = l.render([twoAppPod()], timeZone: ny)
        let first = out.split(separator: "\n")[0].split(separator: "\t", omittingEmptySubsequences: true).map(String.init)
        #expect(first == [uuid, "web", "example.com/web:1.0", "sha512-0123456789ab", "running",
                          c, s, "default:ip4=172.16.28.2"])
        #expect(!out.contains("UUID"))
    }

    @Test("a pod without a readable manifest has no row")
    func listPreparing() {
        let out = PodListing().render([PodSummary(uuid: uuid, state: .preparing, created: created)], timeZone: ny)
        #expect(out.split(separator: "\n").count == 1)
    }

    @Test("list --format=json is the api/v1 pod array")
    func listJSON() throws {
        var l = PodListing()
        l.format = .json
        let v = try parseJSON(l.render([twoAppPod()]))
        let pod = try #require(v[0])
        #expect(pod["name"]?.stringValue == uuid)
        #expect(pod["state"]?.stringValue == "running")
        #expect(pod["networks"]?[0]?["ip"]?.stringValue == "172.16.28.2")
        #expect(pod["app_names"]?.arrayValue?.count == 2)
        #expect(pod["started_at"]?.intValue == 1_700_000_060)
    }

    @Test("status of an exited pod prints rkt's key=value lines in order")
    func statusExited() {
        var p = PodSummary(uuid: uuid, state: .exited, created: created, started: started,
                           networks: [], apps: [], pid: 4242, exitCodes: [("a", 0), ("b", 7)])
        p.networks = [PodNetInfo(netName: "default", ip: "172.16.28.2")]
        #expect(PodStatusReport.lines(p, timeZone: ny) == [
            "state=exited",
            "created=\(c)",
            "started=\(s)",
            "networks=default:ip4=172.16.28.2",
            "pid=4242",
            "exited=true",
            "app-a=0",
            "app-b=7",
        ])
    }

    @Test("status of a prepared pod stops after created")
    func statusPrepared() {
        let p = PodSummary(uuid: uuid, state: .prepared, created: created)
        #expect(PodStatusReport.lines(p, timeZone: ny) == ["state=prepared", "created=\(c)"])
    }

    @Test("status of a running pod has no exit codes")
    func statusRunning() {
        let p = PodSummary(uuid: uuid, state: .running, created: created, started: started, pid: 9, exitCodes: [("a", 1)])
        let lines = PodStatusReport.lines(p, timeZone: ny)
        #expect(lines.contains("exited=false"))
        #expect(lines.contains("networks="))
        #expect(!lines.contains { $0.hasPrefix("app-") })
    }

    @Test("status reads exit codes from the overlay upper dir when the pod uses overlay")
    func exitCodesFromUpper() throws {
        let d = try PodTestDataDir()
        let p = try d.makePod(uuid, in: .run)
        let fm = FileManager.default
        try "deps-sha512-1234".write(toFile: "\(p)/stage1TreeStoreID", atomically: true, encoding: .utf8)
        _ = fm.createFile(atPath: "\(p)/overlay-prepared", contents: nil)
        let status = "\(p)/overlay/deps-sha512-1234/upper/rkt/status"
        try fm.createDirectory(atPath: status, withIntermediateDirectories: true)
        try "3".write(toFile: "\(status)/app1", atomically: true, encoding: .utf8)
        _ = fm.createFile(atPath: "\(status)/app1-created", contents: nil)
        let pod = try #require(try Pod.open(dataDir: d.path, uuid: uuid))
        let codes = pod.appExitCodes()
        #expect(codes.count == 1)
        #expect(codes.first?.app == "app1" && codes.first?.code == 3)
    }
}

@Suite("rkt time layout")
struct PodTimeLayoutTests {
    @Test("times keep milliseconds without trailing zeros and carry the numeric offset")
    func layout() {
        let ny = TimeZone(identifier: "America/New_York") ?? .current
        let t = Humanize.rktTime(Date(timeIntervalSince1970: 1_700_000_000.5), timeZone: ny)
        #expect(t.hasPrefix("2023-11-14 17:13:20.5 -0500 "))
    }
}
