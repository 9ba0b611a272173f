import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Where the binaries under test live: `$RKT_BUILD_DIR`, else `<repo>/build/bin` (what `make`
/// produces). Functional tests never build anything themselves except their images.
enum RktBuild {
    static let repoRoot: String = {
        // …/Tests/FunctionalTests/Harness.swift → the repository root.
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let binDir: String = {
        if let d = ProcessInfo.processInfo.environment["RKT_BUILD_DIR"], !d.isEmpty { return d }
        return repoRoot + "/build/bin"
    }()

    static var rkt: String { binDir + "/rkt" }
    static var stage1ACI: String { binDir + "/stage1.aci" }
    static var stage1FlyACI: String { binDir + "/stage1-fly.aci" }
    static var fixtures: String { repoRoot + "/Tests/Fixtures" }

    /// Fails with a message that says how to get the binaries, instead of a confusing spawn error.
    static func requireBinaries() throws {
        for p in [rkt, stage1FlyACI, stage1ACI] where !FileManager.default.fileExists(atPath: p) {
            throw HarnessError("\(p) is missing: run `make` first (or set RKT_BUILD_DIR)")
        }
    }
}

/// Which stage1 image a test runs pods with.
enum Stage1Flavor: String, Sendable {
    case fly
    /// Our full stage1 (`coreos.com/rkt/stage1-swift`).
    case full = "swift"

    /// `$RKT_TEST_STAGE1` (`fly` or `swift`), defaulting to fly until the full stage1 runs pods.
    static let testDefault: Stage1Flavor =
        Stage1Flavor(rawValue: ProcessInfo.processInfo.environment["RKT_TEST_STAGE1"] ?? "") ?? .fly

    var aciPath: String { self == .fly ? RktBuild.stage1FlyACI : RktBuild.stage1ACI }
}

/// One functional test's private rkt world: a data dir and local/system/user config dirs under a
/// fresh temp dir, so tests run in parallel. Every `rkt(...)` call gets
/// `--dir --local-config --system-config --user-config [--insecure-options]` before the subcommand,
/// as rkt's own suite did. Call `cleanup()` at the end (it also runs from `deinit`): it kills what
/// the test spawned, runs `rkt gc --grace-period=0s`, unmounts leftovers and removes the dir.
final class RktTestEnv: @unchecked Sendable {
    let root: String
    let dataDir: String
    let localConfig: String
    let systemConfig: String
    let userConfig: String
    /// Scratch space for the test's own files (pod manifests, volumes, patched images).
    let tmpDir: String

    /// `--insecure-options=` value prepended to every call; nil leaves the flag out.
    var insecureOptions: String? = "image"
    /// Pass only `--dir` (rkt's `CmdNoConfig`).
    var noConfig = false
    /// Extra global flags, e.g. `["--debug"]`.
    var extraGlobalFlags: [String] = []
    /// Stage1 used by `stage1Flag` and the `run`/`prepare` convenience helpers.
    var stage1: Stage1Flavor = .testDefault

    /// Result of the `gc` that `cleanup()` ran (rkt's harness required it to succeed).
    private(set) var cleanupGC: CommandResult?
    private(set) var leftoverMounts: [String] = []
    private let lock = NSLock()
    private var children: [SpawnedProcess] = []
    private var ptys: [PtyProcess] = []
    private var cleaned = false

    init() throws {
        try RktBuild.requireBinaries()
        root = try makeTempDir(prefix: "rkt-ftest")
        dataDir = root + "/data"
        localConfig = root + "/local"
        systemConfig = root + "/system"
        userConfig = root + "/user"
        tmpDir = root + "/tmp"
        for d in [dataDir, localConfig, systemConfig, userConfig, tmpDir] {
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        }
    }

    deinit { cleanup() }

    var globalFlags: [String] {
        var f = ["--dir=\(dataDir)"]
        if !noConfig {
            f += ["--local-config=\(localConfig)", "--system-config=\(systemConfig)", "--user-config=\(userConfig)"]
        }
        if let insecureOptions { f.append("--insecure-options=\(insecureOptions)") }
        return f + extraGlobalFlags
    }

    /// `--stage1-path=<abs path of the chosen stage1 ACI>`, for `run`/`prepare`.
    var stage1Flag: String { "--stage1-path=\(stage1.aciPath)" }

    /// The environment rkt runs with: the test process's own plus `env` (tests of
    /// `--inherit-env` set host variables here instead of in the shared process environment).
    func environment(_ env: [String: String]) -> [String: String] {
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        return e
    }

    /// Runs `rkt <global flags> args…` to completion. `stdin` is fed from a file.
    @discardableResult
    func rkt(
        _ args: [String], stdin: String? = nil, env: [String: String] = [:], timeout: Double = 120
    ) -> CommandResult {
        do {
            let p = try spawn(args, stdin: stdin, env: env)
            return p.wait(timeout: timeout)
        } catch {
            return CommandResult(exit: -1, stdout: "", stderr: "harness: \(error)")
        }
    }

    /// Starts `rkt <global flags> args…` in the background (long-running pods). The process is
    /// killed by `cleanup()` if the test leaves it running.
    func spawn(_ args: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> SpawnedProcess {
        let id = UUID().uuidString.prefix(8)
        let io = tmpDir + "/.io-\(id)"
        var stdinPath: String?
        if let stdin {
            stdinPath = io + ".in"
            try stdin.write(toFile: io + ".in", atomically: false, encoding: .utf8)
        }
        let p = try spawnProcess(
            RktBuild.rkt, globalFlags + args, environment: environment(env), stdinPath: stdinPath,
            stdoutPath: io + ".out", stderrPath: io + ".err")
        lock.lock(); children.append(p); lock.unlock()
        return p
    }

    /// Starts rkt on a pseudo-terminal (interactive pods, `--read-stdin`, `--check-tty`).
    func spawnPty(_ args: [String], env: [String: String] = [:]) throws -> PtyProcess {
        let p = try PtyProcess(RktBuild.rkt, globalFlags + args, environment: environment(env))
        lock.lock(); ptys.append(p); lock.unlock()
        return p
    }

    /// `rkt run <stage1> args…`: the usual way to run a pod in a test.
    @discardableResult
    func run(_ args: [String], stdin: String? = nil, env: [String: String] = [:], timeout: Double = 120) -> CommandResult {
        rkt(["run", stage1Flag] + args, stdin: stdin, env: env, timeout: timeout)
    }

    /// `rkt prepare <stage1> args…`; returns the pod UUID (the first line of stdout) or throws.
    func prepare(_ args: [String]) throws -> String {
        let r = rkt(["prepare", stage1Flag] + args)
        let uuid = r.stdout.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        guard r.exit == 0, uuid.count == 36 else { throw HarnessError("prepare failed: \(r)") }
        return uuid
    }

    /// Writes `content` to `tmpDir/name` and returns the path (pod manifests, env files, volumes).
    func writeFile(_ name: String, _ content: String, mode: Int = 0o644) throws -> String {
        let path = tmpDir + "/" + name
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, mode_t(mode))
        return path
    }

    /// Kills leftover children, `rkt gc --grace-period=0s`, unmounts leftovers, removes the dir.
    /// Idempotent. Returns the mounts it had to clean up itself (empty when rkt cleaned up).
    @discardableResult
    func cleanup() -> [String] {
        lock.lock()
        if cleaned { lock.unlock(); return leftoverMounts }
        cleaned = true
        let kids = children
        let terms = ptys
        lock.unlock()
        for p in kids where p.isRunning {
            p.kill(SIGKILL)
            p.wait(timeout: 10)
        }
        for p in terms { p.kill(SIGKILL); _ = p.wait(timeout: 10) }
        if FileManager.default.fileExists(atPath: RktBuild.rkt) {
            // No insecure options or extra flags: gc must work on any state the test left.
            let flags = ["--dir=\(dataDir)", "--local-config=\(localConfig)", "--system-config=\(systemConfig)", "--user-config=\(userConfig)"]
            cleanupGC = try? runCommand(RktBuild.rkt, flags + ["gc", "--grace-period=0s"], timeout: 120)
        }
        leftoverMounts = unmountAll(under: root)
        try? FileManager.default.removeItem(atPath: root)
        return leftoverMounts
    }
}

/// Finds the first pod UUID (8-4-4-4-12 hex) in `text`, as rkt's `runRktAndGetUUID` did.
func firstUUID(in text: String) -> String? {
    let re = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/
    return text.firstMatch(of: re).map { String($0.output) }
}

/// `status` output as a key → value map (`state`, `pid`, `app-<name>`, …).
func parseKeyValues(_ text: String) -> [String: String] {
    var out: [String: String] = [:]
    for line in text.split(whereSeparator: \.isNewline) {
        guard let eq = line.firstIndex(of: "=") else { continue }
        out[String(line[..<eq])] = String(line[line.index(after: eq)...])
    }
    return out
}
