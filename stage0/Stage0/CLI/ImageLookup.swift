import RktCommon
import Stage0Core

/// What the image subcommands accept as IMAGE: an ID prefix or `name[:version][,label=value…]`
/// (rkt: rkt/image_cmd_common.go `getStoreKeyFromAppOrHash`).
extension ImageStore {
    public func key(forImage input: String) throws -> String {
        if ImageReference.isHash(input) {
            do { return try resolveKey(input.lowercased()) } catch {
                throw RktError("cannot resolve image ID", cause: error)
            }
        }
        let app: AppName
        do { app = try AppName(parsing: input) } catch {
            throw RktError("cannot find image", cause: RktError("cannot parse the image name \"\(input)\"", cause: error))
        }
        guard let key = try find(name: app.name, labels: app.labels) else {
            let labels = app.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            throw RktError("cannot find image", causes: ["cannot find aci: name: \"\(app.name)\", labels: [\(labels)]"])
        }
        return key
    }
}
