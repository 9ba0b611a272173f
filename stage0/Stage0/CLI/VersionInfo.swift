#if canImport(Glibc)
import Glibc
#endif
import Stage0Core

/// What `rkt version` prints (rkt: rkt/version.go).
public enum VersionInfo {
    /// Compile-time Swift language version (there is no runtime query).
    public static var swiftVersion: String {
        #if swift(>=6.5)
        return "6.5+"
        #elseif swift(>=6.4)
        return "6.4"
        #elseif swift(>=6.3)
        return "6.3"
        #elseif swift(>=6.2)
        return "6.2"
        #elseif swift(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }

    /// appc os/arch of this host, e.g. `linux/amd64`.
    public static var osArch: String {
        let labels = HostPlatform.osArch
        return "\(labels["os"] ?? "linux")/\(labels["arch"] ?? "unknown")"
    }

    /// Build features as rkt lists them: TPM and systemd-journal support are not built in.
    public static let features = "-TPM -SDJOURNAL"

    public static var text: String {
        """
        rkt Version: \(RktVersion.string)
        appc Version: \(RktVersion.appcVersion)
        Swift Version: \(swiftVersion)
        Swift OS/Arch: \(osArch)
        Features: \(features)
        """
    }
}
