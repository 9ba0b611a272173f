import Foundation
import Testing
@testable import Stage0
@testable import Stage0Core

@Suite("Docker download progress bars")
struct DockerProgressTests {
    @Test("a row is the single-download bar: it fills with the bytes received and shows both sizes")
    func lines() {
        let label = "Downloading sha256:0123456789ab"
        #expect(BlobProgress.line(label, received: 0, total: 3_400_000) == "\(label): [\(String(repeating: " ", count: 20))] 0 B/3.4 MB")
        #expect(BlobProgress.line(label, received: 1_700_000, total: 3_400_000) == "\(label): [\(String(repeating: "=", count: 10))\(String(repeating: " ", count: 10))] 1.7 MB/3.4 MB")
        #expect(BlobProgress.line(label, received: 3_400_000, total: 3_400_000) == "\(label): [\(String(repeating: "=", count: 20))] 3.4 MB/3.4 MB")
        #expect(BlobProgress.line(label, received: 1_700_000, total: 3_400_000)
                == ProgressBar.line(label: label, received: 1_700_000, total: 3_400_000))
    }

    @Test("each frame rewrites the previous one in place, one line per blob")
    func frames() {
        let out = Collector()
        let d = { (hex: Character) in OCIDescriptor(mediaType: "", digest: "sha256:" + String(repeating: hex, count: 64), size: 10) }
        let p = BlobProgress([d("a"), d("b")]) { out.append($0) }
        p.finish()
        p.update(0, received: 10)
        p.finish()
        let frames = out.all
        #expect(frames.count >= 2)
        #expect(!frames[0].hasPrefix("\u{1B}["))
        #expect(frames[frames.count - 1].hasPrefix("\u{1B}[2A"))
        #expect(frames[frames.count - 1].contains("sha256:aaaaaaaaaaaa: [\(String(repeating: "=", count: 20))] 10 B/10 B"))
        #expect(frames[frames.count - 1].split(separator: "\n").count == 2)
    }
}

final class Collector: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
