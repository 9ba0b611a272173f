import RktCommon
import RktJSON
import RktOS

/// Reads `<pod>/pod` with the shared appc schema (the parts of stage1 that need typed fields
/// beyond `PodSpec`, such as port forwarding).
enum PodManifestFile {
    static func load(podDir: String) throws -> PodManifest {
        let path = PathUtil.join(podDir, PodFile.manifest)
        do { return try decodeJSON(PodManifest.self, from: try FileIO.readFile(path)) } catch {
            throw RktError("cannot read pod manifest \(path)", cause: error)
        }
    }
}
