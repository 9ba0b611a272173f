#if canImport(Glibc)
import Glibc
#endif
import RktCommon
import RktOS
import RktJSON

/// Reading what a pod has on disk: manifest, file times, exit codes, network info
/// (rkt-architecture.md §3.4, §3.5; rkt: pkg/pod/pods.go, lib/app.go).
extension Pod {
    /// The raw pod manifest bytes (`pod`).
    public func manifestBytes() throws -> [UInt8] {
        let p = file(PodFile.manifest)
        guard let d = Pod.readBytes(p) else {
            throw RktError("cannot read pod manifest \(p)", causes: [RktError.strerror(errno)])
        }
        return d
    }

    /// The pod manifest, decoded only as far as list/status need it.
    public func manifest() throws -> PodManifestSummary {
        let p = file(PodFile.manifest)
        guard let bytes = Pod.readBytes(p) else {
            throw RktError("cannot read pod manifest \(p)", causes: [RktError.strerror(errno)])
        }
        do {
            return try PodManifestSummary(bytes: bytes)
        } catch let e as RktError {
            throw e
        } catch {
            throw RktError("cannot decode pod manifest \(p)", cause: error)
        }
    }

    // MARK: - Process

    /// The pod's PID 1 (`pid` file, or the single child of `ppid`), retrying every 100 ms while
    /// the pod is running and stage1 has not written the file yet. nil when the pod is not running
    /// and no pid can be found.
    public func pid() throws -> Int32 {
        while true {
            if let p = try pidOnce() { return p }
            // Re-probe: the lock tells whether stage1 is still alive and may yet write the file.
            guard lockFD >= 0, try Pod.probe(fd: lockFD, dir: dir, path: path) == .running else {
                throw RktError("cannot find pid of pod \(uuid): pod is not running")
            }
            usleep(100_000)
        }
    }

    /// The pid recorded in the pod directory, without waiting: `pid` itself, or the only child of
    /// `ppid`. nil when neither file exists yet.
    public func pidOnce() throws -> Int32? {
        if let p = Pod.readInt(file(PodFile.pid)) { return Int32(p) }
        guard let pp = Pod.readInt(file(PodFile.ppid)) else { return nil }
        let children = Pod.childrenOf(Int32(pp))
        if children.count > 1 {
            throw RktError("too many children of pid \(pp) in pod \(uuid)")
        }
        return children.first
    }

    /// The recorded `pid`, else `ppid` value itself (what `rkt status` prints as `pid=`), or nil.
    public func recordedPid() -> Int32? {
        if let p = Pod.readInt(file(PodFile.pid)) { return Int32(p) }
        return Pod.readInt(file(PodFile.ppid)).map { Int32($0) }
    }

    static func childrenOf(_ ppid: Int32) -> [Int32] {
        // FileIO reads a /proc file whole; String(contentsOfFile:) stops after 4 KiB.
        if let s = try? FileIO.readString("/proc/\(ppid)/task/\(ppid)/children") {
            return s.split(separator: " ").compactMap { Int32($0.trimmingSpaces()) }
        }
        return []
    }

    static func readInt(_ path: String) -> Int? {
        guard let s = try? FileIO.readString(path) else { return nil }
        return Int(s.trimmingSpaces())
    }

    // MARK: - Stage1 rootfs, exit codes, networks

    /// The stage1 tree-store ID recorded at prepare time.
    public func stage1TreeStoreID() -> String? {
        (try? FileIO.readString(file(PodFile.stage1TreeStoreID)))?.trimmingSpaces()
    }

    public var usesOverlay: Bool { access(file(PodFile.overlayPrepared), F_OK) == 0 }

    /// Where stage1 files written at run time are read from: the overlay upper dir with overlay
    /// (it survives an unmount), else the pod's `stage1/rootfs`.
    public func stage1RootfsForReading() -> String {
        if usesOverlay, let id = stage1TreeStoreID() {
            return file("\(PodFile.overlay)/\(id)/upper")
        }
        return file(PodFile.stage1Rootfs)
    }

    /// Exit codes of every app with a status file (`rkt/status/<app>`), sorted by app name.
    /// Other files there (`<app>-created`, `<app>-started`) hold no integer and are skipped.
    public func appExitCodes() -> [(app: String, code: Int32)] {
        let dir = "\(stage1RootfsForReading())/\(Stage1Path.status)"
        var out: [(app: String, code: Int32)] = []
        for a in Pod.directoryEntries(dir).sorted() {
            if let c = Pod.readInt("\(dir)/\(a)") { out.append((a, Int32(truncatingIfNeeded: c))) }
        }
        return out
    }

    /// True once `rkt/supervisor-status` is a symlink to `ready` (status --wait-ready).
    public func isSupervisorReady() -> Bool {
        let p = "\(stage1RootfsForReading())/\(Stage1Path.supervisorStatus)"
        return (try? FileSystem.readlink(p)) == "ready"
    }

    /// Networks from `net-info.json`; empty when the file is absent (no or default networking).
    public func networks() -> [PodNetInfo] {
        guard let bytes = Pod.readBytes(file(PodFile.netInfo)),
              let arr = (try? parseJSON(bytes))?.arrayValue else { return [] }
        return arr.map { PodNetInfo(json: $0) }
    }

    /// The whole file, or nil when it cannot be read.
    package static func readBytes(_ path: String) -> [UInt8]? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { return out }
            out.append(contentsOf: buf[0..<n])
        }
    }

    /// The app's image name as `rkt list` shows it: `name[:version]`, from
    /// `appsinfo/<app>/manifest` so it survives removal of the image from the store.
    public func appImageName(_ app: String) throws -> String {
        let p = file("\(PodFile.appsInfo)/\(app)/manifest")
        guard let bytes = Pod.readBytes(p) else {
            throw RktError("cannot read image manifest \(p)", causes: [RktError.strerror(errno)])
        }
        let m: JSONValue
        do { m = try parseJSON(bytes) } catch { throw RktError("cannot decode image manifest \(p)", cause: error) }
        var name = m["name"]?.stringValue ?? ""
        for l in m["labels"]?.arrayValue ?? [] where l["name"]?.stringValue == "version" {
            if let v = l["value"]?.stringValue { name += ":" + v }
        }
        return name
    }
}

/// One entry of `net-info.json` (rkt: networking/netinfo/netinfo.go). `raw` is the object as
/// written, which is also what the api/v1 JSON of `list`/`status` carries.
public struct PodNetInfo: Sendable, Equatable {
    public var netName: String
    public var ip: String
    public var raw: JSONValue

    init(json: JSONValue) {
        netName = json["netName"]?.stringValue ?? ""
        ip = json["ip"]?.stringValue ?? ""
        raw = json
    }

    public init(netName: String, ip: String) {
        self.netName = netName
        self.ip = ip
        self.raw = .object(JSONObject([("netName", .string(netName)), ("ip", .string(ip))]))
    }
}

/// The parts of a pod manifest (`pod`) that list/status use: apps, images, user annotations.
public struct PodManifestSummary: Sendable {
    public struct App: Sendable, Equatable {
        public var name: String
        public var imageName: String
        public var imageID: String
        public init(name: String, imageName: String = "", imageID: String = "") {
            self.name = name; self.imageName = imageName; self.imageID = imageID
        }
    }
    public var apps: [App]
    public var annotations: [String: String]
    public var userAnnotations: JSONValue?
    public var userLabels: JSONValue?

    public init(apps: [App], annotations: [String: String] = [:]) {
        self.apps = apps
        self.annotations = annotations
    }

    public init(bytes: [UInt8]) throws {
        let obj = try parseJSON(bytes)
        guard obj.objectValue != nil else { throw RktError("pod manifest is not a JSON object") }
        apps = (obj["apps"]?.arrayValue ?? []).map { a in
            App(name: a["name"]?.stringValue ?? "",
                imageName: a["image"]?["name"]?.stringValue ?? "",
                imageID: a["image"]?["id"]?.stringValue ?? "")
        }
        annotations = Self.annotations(obj["annotations"])
        userAnnotations = obj["userAnnotations"].flatMap { $0.objectValue?.isEmpty == false ? $0 : nil }
        userLabels = obj["userLabels"].flatMap { $0.objectValue?.isEmpty == false ? $0 : nil }
    }

    static func annotations(_ v: JSONValue?) -> [String: String] {
        var out: [String: String] = [:]
        for a in v?.arrayValue ?? [] {
            if let n = a["name"]?.stringValue, let val = a["value"]?.stringValue { out[n] = val }
        }
        return out
    }
}
