import Foundation
import RktCommon
import Stage0Core
import RktOS
import RktJSON

/// `rkt image list` (rkt: rkt/image_list.go): fields, sorting, tabbed or JSON output.
public struct ImageListing: Sendable {
    public enum Field: String, CaseIterable, Sendable {
        case id, name, size, importtime, lastused, latest

        var header: String {
            switch self {
            case .id: return "ID"
            case .name: return "NAME"
            case .size: return "SIZE"
            case .importtime: return "IMPORT TIME"
            case .lastused: return "LAST USED"
            case .latest: return "LATEST"
            }
        }
    }

    public static let defaultFields: [Field] = [.id, .name, .size, .importtime, .lastused]
    public static let sortableFields: [Field] = [.name, .importtime, .lastused, .size]

    public var fields: [Field] = defaultFields
    public var sortFields: [Field] = [.importtime]
    public var ascending = true
    public var full = false
    public var noLegend = false
    public var format: OutputFormat = .tabbed

    public init() {}

    /// rkt's OptionList: comma list, each value must be one of `allowed`.
    public static func parseFields(_ s: String, allowed: [Field], flag: String) throws -> [Field] {
        try s.split(separator: ",").map { raw in
            let word = raw.trimmingSpaces().lowercased()
            guard let f = Field(rawValue: word), allowed.contains(f) else {
                let valid = allowed.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                throw RktError("invalid argument \"\(s)\" for \"--\(flag)\" flag", causes: ["unknown option \"\(word)\"; allowed: \(valid)"])
            }
            return f
        }
    }

    /// One image as listed: the name carries `:version` when the image has that label.
    public struct Entry: Sendable, Equatable {
        public var id: String
        public var name: String
        public var importTime: Int64
        public var lastUsed: Int64
        public var size: Int64
        public var latest: Bool

        public init(id: String, name: String, importTime: Int64, lastUsed: Int64, size: Int64, latest: Bool) {
            self.id = id
            self.name = name
            self.importTime = importTime
            self.lastUsed = lastUsed
            self.size = size
            self.latest = latest
        }
    }

    public func entries(from store: ImageStore) throws -> [Entry] {
        try store.images().map { info in
            let version = (try? store.labels(key: info.key))?["version"]
            return Entry(
                id: info.key, name: version.map { "\(info.name):\($0)" } ?? info.name,
                importTime: info.importTime, lastUsed: info.lastUsed,
                size: info.size + info.treeStoreSize, latest: info.latest)
        }
    }

    public func sorted(_ entries: [Entry]) -> [Entry] {
        entries.sorted { a, b in
            for f in sortFields {
                let order = compare(a, b, by: f)
                if order != 0 { return ascending ? order < 0 : order > 0 }
            }
            return false
        }
    }

    func compare(_ a: Entry, _ b: Entry, by field: Field) -> Int {
        func cmp<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x > y ? 1 : 0) }
        switch field {
        case .name: return cmp(a.name, b.name)
        case .importtime: return cmp(a.importTime, b.importTime)
        case .lastused: return cmp(a.lastUsed, b.lastUsed)
        case .size: return cmp(a.size, b.size)
        case .id: return cmp(a.id, b.id)
        case .latest: return cmp(a.latest ? 1 : 0, b.latest ? 1 : 0)
        }
    }

    /// The text rkt prints for `entries` (already sorted), ending with a newline.
    public func render(_ entries: [Entry], now: Date = Date()) -> String {
        switch format {
        case .tabbed:
            var table = Table(header: fields.map(\.header), showHeader: !noLegend)
            for e in entries { table.append(fields.map { cell(e, $0, now: now) }) }
            return table.render()
        case .json, .jsonPretty:
            let array: JSONValue = .array(entries.map { e in
                .object(JSONObject([
                    ("id", .string(e.id)), ("name", .string(e.name)),
                    ("import_time", .int(e.importTime)), ("last_used_time", .int(e.lastUsed)),
                    ("size", .int(e.size)),
                ]))
            })
            return JSONOutput.render(array, pretty: format == .jsonPretty) + "\n"
        }
    }

    func cell(_ e: Entry, _ field: Field, now: Date) -> String {
        func time(_ ns: Int64) -> String {
            let date = Date(timeIntervalSince1970: Double(ns) / 1_000_000_000)
            return full ? Humanize.rktTime(date) : Humanize.relative(date, now: now)
        }
        switch field {
        case .id: return full ? e.id : Self.trimmedID(e.id)
        case .name: return e.name
        case .size: return full ? String(e.size) : Humanize.bytes(e.size)
        case .importtime: return time(e.importTime)
        case .lastused: return time(e.lastUsed)
        case .latest: return e.latest ? "true" : "false"
        }
    }

    /// `sha512-` + 12 hex digits (rkt's `trimImageID`).
    public static func trimmedID(_ id: String) -> String {
        guard let dash = id.firstIndex(of: "-") else { return id }
        let length = id.distance(from: id.startIndex, to: dash) + 13
        return length < id.count ? String(id.prefix(length)) : id
    }
}
