import Foundation

/// A minimal ustar writer, so tests can build tarballs `tar(1)` refuses to make: entries with
/// `..` or absolute names, symlinks followed by files through them, hard links out of the tree.
struct TarWriter {
    enum Kind { case file(Data), dir, symlink(String), hardlink(String) }
    struct Entry {
        var name: String
        var kind: Kind
        var mode: Int = 0o644
    }

    var entries: [Entry] = []

    mutating func file(_ name: String, _ content: String, mode: Int = 0o644) {
        entries.append(Entry(name: name, kind: .file(Data(content.utf8)), mode: mode))
    }
    mutating func dir(_ name: String) { entries.append(Entry(name: name, kind: .dir, mode: 0o755)) }
    mutating func symlink(_ name: String, to target: String) {
        entries.append(Entry(name: name, kind: .symlink(target), mode: 0o777))
    }
    mutating func hardlink(_ name: String, to target: String) { entries.append(Entry(name: name, kind: .hardlink(target))) }

    /// The archive bytes: 512-byte headers, padded data, two zero blocks.
    func data() throws -> Data {
        var out = Data()
        for e in entries {
            var h = [UInt8](repeating: 0, count: 512)
            func put(_ s: String, _ off: Int, _ len: Int) throws {
                let b = Array(s.utf8)
                guard b.count <= len else { throw HarnessError("tar field too long: \(s)") }
                for (i, c) in b.enumerated() { h[off + i] = c }
            }
            func octal(_ v: Int, _ off: Int, _ len: Int) throws {
                let s = String(v, radix: 8)
                try put(String(repeating: "0", count: max(0, len - 1 - s.count)) + s, off, len - 1)
            }
            var body = Data()
            var type: UInt8 = UInt8(ascii: "0")
            var link = ""
            switch e.kind {
            case .file(let d): body = d
            case .dir: type = UInt8(ascii: "5")
            case .symlink(let t): type = UInt8(ascii: "2"); link = t
            case .hardlink(let t): type = UInt8(ascii: "1"); link = t
            }
            try put(e.name, 0, 100)
            try octal(e.mode, 100, 8)
            try octal(0, 108, 8)
            try octal(0, 116, 8)
            try octal(body.count, 124, 12)
            try octal(0, 136, 12)
            h[156] = type
            try put(link, 157, 100)
            try put("ustar", 257, 6)
            try put("00", 263, 2)
            try put("root", 265, 32)
            try put("root", 297, 32)
            // The checksum is computed with its own field as spaces.
            for i in 148..<156 { h[i] = UInt8(ascii: " ") }
            let sum = h.reduce(0) { $0 + Int($1) }
            try put(String(repeating: "0", count: 6 - String(sum, radix: 8).count) + String(sum, radix: 8), 148, 6)
            h[154] = 0
            h[155] = UInt8(ascii: " ")
            out.append(contentsOf: h)
            out.append(body)
            let pad = (512 - body.count % 512) % 512
            out.append(Data(count: pad))
        }
        out.append(Data(count: 1024))
        return out
    }

    func write(to path: String) throws {
        try data().write(to: URL(fileURLWithPath: path))
    }
}
