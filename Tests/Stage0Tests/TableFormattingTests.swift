import Foundation
import RktCommon
import Testing

@testable import Stage0
@testable import Stage0Core

@Suite("Table and human-readable formatting")
struct TableFormattingTests {
    @Test("cells are padded with tabs like Go's tabwriter(0, 8, 1, '\\t', 0)")
    func tabwriter() {
        let out = Table.format([
            ["ID", "NAME", "SIZE"],
            ["sha512-0123456789ab", "example.com/app:1.0", "2.0 KiB"],
        ])
        // col 0: max 19 + 1 = 20 → 24 wide: "ID" gets 3 tabs, the 19-char ID 1 tab;
        // col 1: max 19 + 1 = 20 → 24 wide: "NAME" 3 tabs, the 19-char name 1 tab.
        #expect(out == "ID\t\t\tNAME\t\t\tSIZE\nsha512-0123456789ab\texample.com/app:1.0\t2.0 KiB\n")
    }

    @Test("a cell exactly one tab stop wide still gets a tab of padding")
    func exactWidth() {
        #expect(Table.format([["1234567", "x"], ["12345678", "y"]]) == "1234567\t\tx\n12345678\ty\n")
    }

    @Test("--no-legend drops the header line")
    func noLegend() {
        var t = Table(header: ["A", "B"], showHeader: false)
        t.append(["1", "2"])
        #expect(t.render() == "1\t2\n")
    }

    @Test("sizes follow go-humanize IBytes")
    func bytes() {
        #expect(Humanize.bytes(5) == "5 B")
        #expect(Humanize.bytes(512) == "512 B")
        #expect(Humanize.bytes(2048) == "2.0 KiB")
        #expect(Humanize.bytes(1_572_864) == "1.5 MiB")
        #expect(Humanize.bytes(23 * 1024 * 1024) == "23 MiB")
    }

    @Test("relative times follow go-humanize Time")
    func relative() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        func ago(_ s: Double) -> String { Humanize.relative(now.addingTimeInterval(-s), now: now) }
        #expect(ago(0) == "now")
        #expect(ago(1) == "1 second ago")
        #expect(ago(42) == "42 seconds ago")
        #expect(ago(90) == "1 minute ago")
        #expect(ago(150) == "2 minutes ago")
        #expect(ago(3 * 3600) == "3 hours ago")
        #expect(ago(36 * 3600) == "1 day ago")
        #expect(ago(10 * 86400) == "1 week ago")
        #expect(Humanize.relative(now.addingTimeInterval(120), now: now) == "2 minutes from now")
    }

    @Test("absolute times use rkt's layout 2006-01-02 15:04:05.999 -0700 MST")
    func rktTime() throws {
        let utc = try #require(TimeZone(identifier: "UTC"))
        #expect(Humanize.rktTime(Date(timeIntervalSince1970: 1_442_489_224.24), timeZone: utc) == "2015-09-17 11:27:04.24 +0000 UTC")
        #expect(Humanize.rktTime(Date(timeIntervalSince1970: 1_442_489_224), timeZone: utc) == "2015-09-17 11:27:04 +0000 UTC")
        let plus2 = try #require(TimeZone(secondsFromGMT: 7200))
        #expect(Humanize.rktTime(Date(timeIntervalSince1970: 1_442_489_224.779), timeZone: plus2).hasPrefix("2015-09-17 13:27:04.779 +0200 "))
    }

    @Test("image list trims IDs to 12 hex digits unless --full, and prints JSON arrays")
    func imageListing() {
        let key = "sha512-" + String(repeating: "ab", count: 32)
        let e = ImageListing.Entry(id: key, name: "example.com/app:1.0", importTime: 0, lastUsed: 0, size: 2048, latest: false)
        var l = ImageListing()
        l.fields = [.id, .size]
        l.noLegend = true
        #expect(l.render([e]) == "sha512-abababababab\t2.0 KiB\n")
        l.full = true
        #expect(l.render([e]) == "\(key)\t2048\n")
        l.format = .json
        #expect(l.render([e]).hasPrefix(#"[{"id":"\#(key)","name":"example.com/app:1.0","import_time":0"#))
        l.format = .jsonPretty
        #expect(l.render([e]).contains("\t\t\"id\": \""))
    }

    @Test("image list sorts by the given fields and order")
    func sorting() {
        let a = ImageListing.Entry(id: "a", name: "b-name", importTime: 2, lastUsed: 0, size: 1, latest: false)
        let b = ImageListing.Entry(id: "b", name: "a-name", importTime: 1, lastUsed: 0, size: 2, latest: false)
        var l = ImageListing()
        #expect(l.sorted([a, b]).map(\.id) == ["b", "a"])
        l.sortFields = [.name]
        l.ascending = false
        #expect(l.sorted([b, a]).map(\.id) == ["a", "b"])
    }

    @Test("Go durations parse as in time.ParseDuration")
    func durations() throws {
        #expect(try GoDuration.parse("24h") == 86400)
        #expect(try GoDuration.parse("0") == 0)
        #expect(try GoDuration.parse("0s") == 0)
        #expect(try GoDuration.parse("1h30m") == 5400)
        #expect(try GoDuration.parse("500ms") == 0.5)
        #expect(throws: RktError.self) { try GoDuration.parse("5") }
        #expect(throws: RktError.self) { try GoDuration.parse("1d") }
    }
}
