import Foundation

/// One progress bar per blob on stderr, redrawn in place while layers download in parallel
/// (like `docker pull`; rkt drew one bar per download with ioprogress, and each row here is that
/// bar: `ProgressBar.line`). Only used when stderr is
/// a terminal: otherwise a fetch prints nothing about its downloads.
final class BlobProgress: @unchecked Sendable {
    private struct Row {
        var label: String
        var received: Int64
        var total: Int64
    }

    private let lock = NSLock()
    private var rows: [Row]
    /// How many lines the last frame drew (the cursor sits below them).
    private var drawn = 0
    private var lastDraw = Date.distantPast
    private let write: @Sendable (String) -> Void

    init(_ blobs: [OCIDescriptor], write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        rows = blobs.map { Row(label: "Downloading \($0.digest.prefix(19))", received: 0, total: $0.size) }
        self.write = write
    }

    /// Records progress of blob `index`; redraws at most ten times a second.
    func update(_ index: Int, received: Int64) {
        lock.lock()
        defer { lock.unlock() }
        rows[index].received = received
        if Date().timeIntervalSince(lastDraw) >= 0.1 { draw() }
    }

    /// The final frame, whatever the time since the last one.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        draw()
    }

    private func draw() {
        lastDraw = Date()
        var out = drawn > 0 ? "\u{1B}[\(drawn)A" : ""
        for r in rows { out += "\r\u{1B}[2K" + Self.line(r.label, received: r.received, total: r.total) + "\n" }
        drawn = rows.count
        write(out)
    }

    /// One row: the same line as a single download's bar (`ProgressBar.line`, rkt's ioprogress
    /// look), so an ACI download and a Docker pull draw alike.
    static func line(_ label: String, received: Int64, total: Int64) -> String {
        ProgressBar.line(label: label, received: Int(received), total: Int(total))
    }
}
