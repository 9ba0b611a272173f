#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import RktCommon
import Stage0
import Stage0Core

/// `rkt logs UUID [--app NAME] [--follow]`: the output of apps run with `--stdout=log` or
/// `--stderr=log`. rkt 1.30 read it back from journald; the full stage1 keeps it in
/// `<pod>/logs/<app>.log` instead (docs/stage1.md), so it works without systemd on the host.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print the logs of the apps of a pod")
    @OptionGroup var globals: GlobalOptions

    @Option(help: "name of the app whose logs to print (default: every app with logs)")
    var app = ""

    @Flag(name: [.customLong("follow"), .customShort("f")], help: "keep printing new output until the pod exits")
    var follow = false

    @Argument(help: "UUID") var uuid: String

    func run() throws {
        let context = try globals.context("logs")
        let pod: Pod
        do { pod = try Pod.load(dataDir: context.dataDir, uuidPrefix: uuid) } catch {
            throw RktError("problem retrieving pod", cause: error)
        }
        let names = try pod.manifest().apps.map(\.name)
        let selected: [String]
        if app.isEmpty {
            selected = names
        } else {
            guard names.contains(app) else { throw RktError("app \"\(app)\" not found in pod \(pod.uuid)") }
            selected = [app]
        }
        // Open every log now: the pod directory moves (run → exited-garbage → garbage) when the pod
        // exits, and an open fd keeps following the file wherever it goes.
        var opened: [(String, Int32)] = []
        for name in selected {
            let path = pod.file("\(PodFile.logsDir)/\(name).log")
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 {
                opened.append((name, fd))
            } else if !app.isEmpty {
                throw RktError("no logs for app \(name) in pod \(pod.uuid) (run it with --stdout=log or --stderr=log)")
            }
        }
        // Lines are prefixed with the app name only when several apps' logs are interleaved.
        var logs = opened.map { LogStream(app: $0.0, fd: $0.1, prefix: opened.count > 1 ? "\($0.0): " : "") }
        guard !logs.isEmpty else {
            throw RktError("no logs in pod \(pod.uuid) (run its apps with --stdout=log or --stderr=log)")
        }
        defer { for l in logs { Glibc.close(l.fd) } }
        for i in logs.indices { logs[i].drain() }
        guard follow else {
            for i in logs.indices { logs[i].flushPartial() }
            return
        }
        // Poll: the files are plain files (no inotify needed for rkt's 1 s journald follow feel).
        while true {
            let finished = isFinished(dataDir: context.dataDir, uuid: pod.uuid)
            var progressed = false
            for i in logs.indices where logs[i].drain() { progressed = true }
            if finished && !progressed { break }
            if !progressed { usleep(200_000) }
        }
        for i in logs.indices { logs[i].flushPartial() }
    }

    /// True once the pod no longer runs (or is gone altogether).
    func isFinished(dataDir: String, uuid: String) -> Bool {
        guard let p = try? Pod.open(dataDir: dataDir, uuid: uuid) else { return true }
        return p.state != .running
    }
}

/// One app's log file being copied to stdout. With several apps every line is prefixed with
/// `<app>: `, so a partial line is held back until its newline arrives.
struct LogStream {
    let app: String
    let fd: Int32
    let prefix: String
    var pending: [UInt8] = []

    init(app: String, fd: Int32, prefix: String) {
        self.app = app
        self.fd = fd
        self.prefix = prefix
    }

    /// Copies whatever was appended since the last call; true when something was read.
    @discardableResult
    mutating func drain() -> Bool {
        var buf = [UInt8](repeating: 0, count: 65536)
        var any = false
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            any = true
            emit(buf[0..<n])
        }
        return any
    }

    mutating func emit(_ bytes: ArraySlice<UInt8>) {
        guard !prefix.isEmpty else { return LogStream.write(Array(bytes)) }
        pending += bytes
        var out: [UInt8] = []
        while let nl = pending.firstIndex(of: 10) {
            out += Array(prefix.utf8) + pending[...nl]
            pending.removeSubrange(...nl)
        }
        LogStream.write(out)
    }

    /// The last line of a log that does not end in a newline.
    mutating func flushPartial() {
        guard !pending.isEmpty else { return }
        LogStream.write(Array(prefix.utf8) + pending + [10])
        pending = []
    }

    static func write(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            off += n
        }
    }
}
