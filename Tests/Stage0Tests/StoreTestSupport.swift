import Crypto
import Foundation
@testable import Stage0
@testable import Stage0Core

/// A minimal ustar writer, so tests can build exactly the (hostile) archives they need.
struct TestTar {
    enum Kind { case file, dir, symlink, hardlink, fifo }
    struct Entry {
        var name: String
        var kind: Kind
        var data: [UInt8] = []
        var link: String = ""
        var mode: Int = 0o644
        var uid: Int = 0
        var gid: Int = 0
    }
    var entries: [Entry] = []

    mutating func file(_ name: String, _ content: String, mode: Int = 0o644) { entries.append(Entry(name: name, kind: .file, data: Array(content.utf8), mode: mode)) }
    mutating func dir(_ name: String, mode: Int = 0o755) { entries.append(Entry(name: name, kind: .dir, mode: mode)) }
    mutating func symlink(_ name: String, to target: String) { entries.append(Entry(name: name, kind: .symlink, link: target, mode: 0o777)) }
    mutating func hardlink(_ name: String, to target: String) { entries.append(Entry(name: name, kind: .hardlink, link: target)) }

    private static func octal(_ v: Int, _ width: Int) -> [UInt8] {
        let s = String(v, radix: 8)
        return Array((String(repeating: "0", count: max(0, width - 1 - s.count)) + s).utf8) + [0]
    }

    private static func field(_ s: String, _ width: Int) -> [UInt8] {
        var b = Array(s.utf8.prefix(width))
        b += [UInt8](repeating: 0, count: width - b.count)
        return b
    }

    var bytes: [UInt8] {
        var out: [UInt8] = []
        for e in entries {
            var h: [UInt8] = []
            h += TestTar.field(e.name, 100)
            h += TestTar.octal(e.mode, 8) + TestTar.octal(e.uid, 8) + TestTar.octal(e.gid, 8)
            h += TestTar.octal(e.kind == .file ? e.data.count : 0, 12) + TestTar.octal(1_600_000_000, 12)
            h += [UInt8](repeating: 0x20, count: 8)
            let flag: Character = switch e.kind { case .file: "0"; case .hardlink: "1"; case .symlink: "2"; case .dir: "5"; case .fifo: "6" }
            h += Array(String(flag).utf8)
            h += TestTar.field(e.link, 100)
            h += Array("ustar\u{0}00".utf8)
            h += TestTar.field("root", 32) + TestTar.field("root", 32)
            h += TestTar.octal(0, 8) + TestTar.octal(0, 8)
            h += [UInt8](repeating: 0, count: 512 - h.count)
            let sum = h.reduce(0) { $0 + Int($1) }
            let ck = Array(String(sum, radix: 8).utf8)
            let ckField = [UInt8](repeating: 0x30, count: 6 - ck.count) + ck + [0, 0x20]
            h.replaceSubrange(148..<156, with: ckField)
            out += h
            if e.kind == .file {
                out += e.data
                out += [UInt8](repeating: 0, count: (512 - e.data.count % 512) % 512)
            }
        }
        out += [UInt8](repeating: 0, count: 1024)
        return out
    }
}

enum StoreTest {
    /// A fresh directory under /tmp, removed by the caller with `cleanup`.
    static func tempDir(_ tag: String) throws -> String {
        let p = NSTemporaryDirectory() + "rkt-store-\(tag)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }

    static func cleanup(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    static func manifest(_ name: String, labels: [String: String] = ["os": "linux", "arch": "amd64"],
                         deps: [[String: Any]] = [], pathWhitelist: [String] = []) -> String {
        var m: [String: Any] = ["acKind": "ImageManifest", "acVersion": "0.8.11", "name": name,
                                "labels": labels.sorted(by: { $0.key < $1.key }).map { ["name": $0.key, "value": $0.value] }]
        if !deps.isEmpty { m["dependencies"] = deps }
        if !pathWhitelist.isEmpty { m["pathWhitelist"] = pathWhitelist }
        let d = try? JSONSerialization.data(withJSONObject: m, options: [.sortedKeys])
        return String(decoding: d ?? Data(), as: UTF8.self)
    }

    /// A valid ACI: manifest, rootfs, and `files` (rootfs-relative path → content).
    static func aci(_ name: String, files: [String: String] = [:], labels: [String: String] = ["os": "linux", "arch": "amd64"],
                    deps: [[String: Any]] = [], pathWhitelist: [String] = []) -> TestTar {
        var t = TestTar()
        t.file("manifest", manifest(name, labels: labels, deps: deps, pathWhitelist: pathWhitelist))
        t.dir("rootfs")
        var dirs: Set<String> = []
        for (path, content) in files.sorted(by: { $0.key < $1.key }) {
            let comps = path.split(separator: "/")
            for i in 1..<max(1, comps.count) {
                let d = comps[0..<i].joined(separator: "/")
                if dirs.insert(d).inserted { t.dir("rootfs/" + d) }
            }
            t.file("rootfs/" + path, content)
        }
        return t
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Runs a tool and returns its exit status.
    @discardableResult
    static func run(_ tool: String, _ args: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    static func sha512Hex(_ bytes: [UInt8]) -> String {
        SHA512.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    static func key(of tar: [UInt8]) -> String { "sha512-" + sha512Hex(tar).prefix(64) }

    static func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    static func list(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    /// Every regular file under `dir` (recursively).
    static func files(under dir: String) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
        var out: [String] = []
        while let p = e.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + p, isDirectory: &isDir), !isDir.boolValue { out.append(p) }
        }
        return out
    }

    /// Imports a test tar into `store` and returns its key.
    @discardableResult
    static func importTar(_ t: TestTar, into store: ImageStore, dir: String, name: String, latest: Bool = false) throws -> String {
        let path = "\(dir)/\(name).aci"
        try write(t.bytes, to: path)
        return try store.importACI(path: path, latest: latest).key
    }
}

/// Results collected from real threads (not the 2-thread cooperative pool), so blocking
/// flock/SQLite waits in one importer cannot starve the others.
final class ThreadResults: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Result<String, any Error>] = []

    static func run(_ n: Int, _ body: @escaping @Sendable (Int) throws -> String) throws -> [String] {
        let box = ThreadResults()
        let group = DispatchGroup()
        for i in 0..<n {
            group.enter()
            let t = Thread {
                let r = Result { try body(i) }
                box.lock.lock()
                box.values.append(r)
                box.lock.unlock()
                group.leave()
            }
            t.start()
        }
        group.wait()
        return try box.values.map { try $0.get() }
    }
}
