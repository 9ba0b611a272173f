#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RktCommon
import Stage0Core
import RktOS

/// Deletes one pod that this process holds exclusively locked in exited-garbage or garbage
/// (rkt: rkt/gc.go `deletePod`). Shared by `rkt gc` and `rkt rm`.
public struct PodDeleter {
    public var pod: Pod
    public var debug: Bool
    public var localConfigDir: String
    public var stderr: (String) -> Void

    public init(pod: Pod, debug: Bool, localConfigDir: String, stderr: @escaping (String) -> Void) {
        self.pod = pod
        self.debug = debug
        self.localConfigDir = localConfigDir
        self.stderr = stderr
    }

    /// Returns false (after reporting) when something was left behind; the next gc retries.
    public func delete() -> Bool {
        guard pod.dir == .exitedGarbage || pod.dir == .garbage else {
            stderr("non-garbage pod \"\(pod.uuid)\" (status \"\(pod.state.rawValue)\"), skipped")
            return false
        }
        if pod.dir == .exitedGarbage {
            runStage1GC()
        }
        // Unmount for garbage pods too: a prepare killed half-way may have left overlays mounted.
        do {
            try Mounts.unmountAll(under: pod.path)
        } catch {
            stderr(render("GC of leftover mounts for pod \"\(pod.uuid)\" failed", error))
            return false
        }
        // The rootfs first: if it fails (busy mount) the manifest stays and gc can retry later.
        do {
            try FileSystem.removeTree(pod.stage1RootfsForReading())
        } catch {
            stderr(render("unable to remove pod rootfs \"\(pod.uuid)\"", error))
            return false
        }
        do {
            try FileSystem.removeTree(pod.path)
        } catch {
            stderr(render("unable to remove pod \"\(pod.uuid)\"", error))
            return false
        }
        return true
    }

    /// Re-mounts the stage1 overlay when it is gone (so the gc entrypoint exists), runs the
    /// stage1 gc entrypoint, and unmounts what it mounted. Failures are only reported.
    func runStage1GC() {
        var mounted = false
        do {
            mounted = try mountStage1IfNeeded()
        } catch {
            stderr(render("skipping stage1 GC", error))
            return
        }
        defer {
            if mounted {
                do { try Mounts.unmount(pod.file(PodFile.stage1Rootfs)) } catch { stderr(render("error unmounting stage1", error)) }
            }
        }
        do {
            let s1 = try pod.stage1()
            var argv = [try s1.entrypoint(Stage1Annotation.gc)]
            if debug { argv.append("--debug") }
            if s1.interfaceVersion >= 5 { argv.append("--local-config=\(localConfigDir)") }
            argv.append(pod.uuid)
            try PodEntrypoint.run(argv: argv, cwd: pod.path, stdoutToNull: true)
        } catch {
            stderr(render("problem performing stage1 GC on \"\(pod.uuid)\"", error))
        }
    }

    /// With overlay, mounts `cas/tree/<s1id>/rootfs` + the upper dir back on `stage1/rootfs`
    /// if it is not mounted (after a reboot, or a test unmounting it). True when it mounted.
    func mountStage1IfNeeded() throws -> Bool {
        guard pod.usesOverlay else { return false }
        let target = pod.file(PodFile.stage1Rootfs)
        if try Mounts.isMountPoint(target) { return false }
        guard let id = pod.stage1TreeStoreID() else {
            throw RktError("error getting stage1 treeStoreID \(pod.file(PodFile.stage1TreeStoreID))")
        }
        let lower = "\(pod.dataDir)/cas/tree/\(id)/rootfs"
        let img = pod.file("\(PodFile.overlay)/\(id)")
        let opts = "lowerdir=\(lower),upperdir=\(img)/upper,workdir=\(img)/work"
        do {
            try Mounts.mount(source: "overlay", target: target, fsType: "overlay", data: opts)
        } catch {
            throw RktError("error mounting stage1", cause: error)
        }
        return true
    }

    func render(_ message: String, _ error: any Error) -> String {
        let e = (error as? RktError) ?? RktError(String(describing: error))
        return "\(message): \(debug ? e.debugChain : e.description)"
    }
}
