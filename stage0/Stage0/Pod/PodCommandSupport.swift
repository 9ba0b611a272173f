#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RktCommon
import Stage0Core
import RktOS

/// Small pieces the pod subcommands (list, status, stop, rm, gc, cat-manifest, enter) share.
public enum PodCommandSupport {
    /// rkt's `ensureSuperuser` for enter, gc and rm.
    public static func ensureSuperuser() throws {
        guard geteuid() == 0 else { throw RktError("cannot run as unprivileged user") }
    }

    /// `--uuid-file`: the UUID written by `--uuid-file-save`, whitespace trimmed.
    public static func readUUIDFile(_ path: String) throws -> String {
        guard let bytes = Pod.readBytes(path) else {
            throw RktError("unable to read UUID from file \(path)", causes: [RktError.strerror(errno)])
        }
        let s = String(decoding: bytes, as: UTF8.self).trimmingSpaces()
        guard !s.isEmpty else { throw RktError("unable to read UUID from file \(path)", causes: ["UUID cannot be empty"]) }
        return s
    }

    /// The cobra flags ArgumentParser cannot express, collected as unrecognized arguments:
    /// booleans written bare or `=true|false` (`--mark-only`, `--force`) and Go's
    /// "bool or duration" flags (`--wait`, `--wait=10s`). Returns flag → value (bare flags get
    /// "true") and the remaining positional arguments; any other dash argument is an error.
    public static func scanFlags(_ args: [String], known: Set<String>) throws -> (flags: [String: String], positional: [String]) {
        var flags: [String: String] = [:]
        var positional: [String] = []
        var afterDashes = false
        for a in args {
            if afterDashes || !a.hasPrefix("-") || a == "-" {
                positional.append(a)
                continue
            }
            if a == "--" {
                afterDashes = true
                continue
            }
            let parts = a.split(separator: "=", maxSplits: 1).map(String.init)
            guard known.contains(parts[0]) else { throw RktError("unknown flag: \(parts[0])") }
            flags[parts[0]] = parts.count == 2 ? parts[1] : "true"
        }
        return (flags, positional)
    }

    /// Go `strconv.ParseBool`.
    public static func parseBool(_ s: String) -> Bool? {
        switch s {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: return nil
        }
    }

    /// rkt status's `parseDuration`: empty or true → wait forever (nil), false → do not wait (0),
    /// else a Go duration in seconds.
    public static func parseWait(_ s: String) throws -> Double? {
        if s.isEmpty { return nil }
        if let b = parseBool(s) { return b ? nil : 0 }
        return try GoDuration.parse(s)
    }

    public static func stderr(_ command: String, _ line: String) {
        Stage0Context.writeStderr("\(command): \(line)\n")
    }

    /// stdout without Swift's buffering surprises when we exec or exit right after.
    public static func stdout(_ s: String) {
        FileHandle.standardOutput.write(Data(s.utf8))
    }
}
