#if canImport(Glibc)
import Glibc
#endif
import RktCommon
import RktJSON

/// The pod's stage1: its manifest annotations and entrypoints (rkt-architecture.md §3.1;
/// rkt: stage0/manifest.go `getStage1Entrypoint`, `getStage1InterfaceVersion`).
public struct PodStage1: Sendable {
    public var annotations: [String: String]
    /// Root the entrypoint paths are resolved under.
    public var rootfs: String

    /// The interface version; a missing annotation means 1.
    public var interfaceVersion: Int {
        annotations[Stage1Annotation.interfaceVersion].flatMap { Int($0) } ?? 1
    }

    /// Absolute path of the entrypoint named by `annotation`, or the rkt error when it is missing.
    public func entrypoint(_ annotation: String) throws -> String {
        guard let rel = annotations[annotation] else {
            throw RktError("entrypoint \(annotation) not implemented for pod's stage1")
        }
        return rootfs + (rel.hasPrefix("/") ? rel : "/" + rel)
    }
}

extension Pod {
    /// The stage1 as gc/stop see it: `stage1/manifest`, entrypoints under the pod's `stage1/rootfs`.
    public func stage1() throws -> PodStage1 {
        PodStage1(annotations: try readStage1Annotations(), rootfs: file(PodFile.stage1Rootfs))
    }

    /// The stage1 as enter/attach see it: entrypoints under the tree-store copy
    /// `cas/tree/<s1TreeStoreID>/rootfs` (rkt-architecture.md §11 item 10).
    public func stage1FromTreeStore() throws -> PodStage1 {
        guard let id = stage1TreeStoreID() else {
            throw RktError("cannot read stage1 tree store id \(file(PodFile.stage1TreeStoreID))")
        }
        return PodStage1(annotations: try readStage1Annotations(), rootfs: "\(dataDir)/cas/tree/\(id)/rootfs")
    }

    func readStage1Annotations() throws -> [String: String] {
        let p = file(PodFile.stage1Manifest)
        guard let bytes = Pod.readBytes(p) else {
            throw RktError("cannot read stage1 manifest \(p)", causes: [RktError.strerror(errno)])
        }
        guard let obj = try? parseJSON(bytes) else {
            throw RktError("cannot decode stage1 manifest \(p)")
        }
        return PodManifestSummary.annotations(obj["annotations"])
    }
}
