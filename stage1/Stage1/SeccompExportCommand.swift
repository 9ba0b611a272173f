import Glibc
import RktCommon
import RktOS

/// `rkt-stage1 seccomp-export DIR`: writes the filters every pod uses unless its apps say
/// otherwise (today the default whitelist) as `SeccompPrecompiled` files. Run once by
/// scripts/build-stage1-aci.sh into the image's `usr/lib/rkt/seccomp`; not an entrypoint.
public enum SeccompExportCommand {
    /// The filters `AppSecurity.plan` returns for an app without seccomp isolators.
    public static let filters = [SeccompSets.defaultFilter]

    public static func main(_ args: [String]) -> Int32 {
        guard args.count == 1 else {
            Log.write("usage: rkt-stage1 seccomp-export DIR")
            return ExitCode.usage
        }
        do {
            try FileSystem.mkdirAll(args[0], mode: 0o755)
            for f in filters {
                try FileIO.writeFileAtomic(PathUtil.join(args[0], SeccompPrecompiled.fileName(f)),
                                           try SeccompPrecompiled.file(f), mode: 0o644, durable: false)
            }
            return ExitCode.success
        } catch let e as RktError {
            Log.error(e)
            return e.exitCode
        } catch {
            Log.error(RktError("seccomp-export", cause: error))
            return ExitCode.failure
        }
    }
}
