import Foundation
import RktCommon
import Stage0Core

/// rkt's download progress line (ioprogress's text bar), redrawn in place on stderr:
/// `Downloading ACI: [=========           ] 1.20 MB/2.40 MB`. Only used when stderr is a
/// terminal; redraws are limited to ten a second so a fast download does not flood it.
final class ProgressBar: @unchecked Sendable {
    let label: String
    let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private var lastDraw: UInt64 = 0
    private var drawn = false

    init(label: String, write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.label = label
        self.write = write
    }

    /// Redraws the line unless the last redraw was under 100 ms ago (`force` always redraws).
    func update(received: Int, total: Int?, force: Bool = false) {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.lock()
        defer { lock.unlock() }
        guard force || !drawn || now - lastDraw >= 100_000_000 else { return }
        lastDraw = now
        drawn = true
        write("\r" + Self.line(label: label, received: received, total: total))
    }

    /// Ends the line once something was drawn.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { write("\n") }
        drawn = false
    }

    /// `LABEL: [====      ] RECEIVED/TOTAL`; without a known total, `LABEL: RECEIVED`.
    static func line(label: String, received: Int, total: Int?, width: Int = 20) -> String {
        guard let total, total > 0 else { return "\(label): \(Humanize.bytesSI(received))" }
        let filled = min(width, max(0, Int(Double(received) / Double(total) * Double(width))))
        let bar = "[" + String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled) + "]"
        return "\(label): \(bar) \(Humanize.bytesSI(received))/\(Humanize.bytesSI(total))"
    }
}
