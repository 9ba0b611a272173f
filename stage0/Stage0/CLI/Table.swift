import RktCommon
import Stage0Core

/// Tab-aligned columns exactly like Go's `tabwriter.NewWriter(w, 0, 8, 1, '\t', 0)`, which rkt
/// uses for `list`, `image list` and friends: every cell but the last of a line is padded with
/// tabs to a column width rounded up to a multiple of 8 (text width + 1 padding).
public struct Table: Sendable {
    public var header: [String]
    public var rows: [[String]]
    /// `--no-legend`: omit the header line.
    public var showHeader: Bool

    public init(header: [String], rows: [[String]] = [], showHeader: Bool = true) {
        self.header = header
        self.rows = rows
        self.showHeader = showHeader
    }

    public mutating func append(_ row: [String]) { rows.append(row) }

    public func render() -> String {
        let lines = (showHeader ? [header] : []) + rows
        return Table.format(lines)
    }

    /// Formats already-split lines; a column's width is computed over the consecutive lines
    /// that have a cell in it followed by another cell, as tabwriter's column blocks are.
    public static func format(_ lines: [[String]], tabWidth: Int = 8, padding: Int = 1) -> String {
        let columns = lines.map { max($0.count - 1, 0) }.max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for line in lines {
            for (i, cell) in line.dropLast().enumerated() {
                widths[i] = max(widths[i], cell.count + padding)
            }
        }
        var out = ""
        for line in lines {
            for (i, cell) in line.enumerated() {
                out += cell
                guard i < line.count - 1 else { continue }
                let cellWidth = (widths[i] + tabWidth - 1) / tabWidth * tabWidth
                let tabs = (cellWidth - cell.count + tabWidth - 1) / tabWidth
                out += String(repeating: "\t", count: tabs)
            }
            out += "\n"
        }
        return out
    }
}

/// `--format` of the list-style commands.
public enum OutputFormat: String, Sendable, CaseIterable {
    case tabbed = ""
    case json
    case jsonPretty = "json-pretty"

    public init(parsing s: String) throws {
        guard let f = OutputFormat(rawValue: s) else {
            throw RktError("invalid format option: \(s)")
        }
        self = f
    }
}
