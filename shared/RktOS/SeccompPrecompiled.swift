import CSeccomp
import Glibc
import RktCommon

/// Seccomp filters compiled when the stage1 image is built, so that starting an app loads its
/// filter instead of compiling it. libseccomp takes 1–2 ms for the 325 names of the default
/// whitelist (one rule transaction per syscall, then the BPF generation), and pod-init did that
/// for every app between mounting and starting it (docs/performance.md).
///
/// A file `<dir>/<16 hex digits>.bpf` holds a header naming exactly what the program was compiled
/// from, then the program. The header is compared whole, so a file from another libseccomp,
/// architecture or syscall list is never loaded: the filter is compiled as before.
///
///     rkt-seccomp-bpf 1 libseccomp=2.5.4 optimize=2 arch=3221225534 whitelist kill\n
///     accept,accept4,…\n
///     <struct sock_filter[]>
public enum SeccompPrecompiled {
    /// Where the stage1 image keeps them, relative to its rootfs.
    public static let directory = "usr/lib/rkt/seccomp"

    /// The two header lines: format, libseccomp version and optimisation level, native
    /// architecture, mode, action, and the syscall names (sorted, unique) exactly as the compiler
    /// would add them.
    public static func header(_ filter: SeccompFilter) -> [UInt8] {
        var v = "?"
        if let p = seccomp_version() { v = "\(p.pointee.major).\(p.pointee.minor).\(p.pointee.micro)" }
        let mode = filter.mode == .whitelist ? "whitelist" : "blacklist"
        let action = filter.errno.map { "errno=\($0)" } ?? "kill"
        let names = Set(filter.syscalls).sorted().joined(separator: ",")
        return Array("rkt-seccomp-bpf 1 libseccomp=\(v) optimize=\(SeccompCompiler.optimizeLevel) arch=\(seccomp_arch_native()) \(mode) \(action)\n\(names)\n".utf8)
    }

    /// The file name for `filter`: FNV-1a of its header.
    public static func fileName(_ filter: SeccompFilter) -> String { fileName(header: header(filter)) }

    static func fileName(header: [UInt8]) -> String { FNV1a.hex64(header) + ".bpf" }

    /// The file's whole content: header, then the compiled program.
    public static func file(_ filter: SeccompFilter) throws -> [UInt8] {
        header(filter) + (try SeccompCompiler.compile(filter))
    }

    /// The program precompiled for `filter` in `dir`, or nil when there is none, or its header or
    /// length does not fit (the caller compiles).
    public static func load(_ filter: SeccompFilter, dir: String) -> [UInt8]? {
        // Built once: sorting and joining the 325 names is most of this lookup's work.
        let head = header(filter)
        guard let bytes = try? FileIO.readFile(PathUtil.join(dir, fileName(header: head))),
              bytes.count > head.count, bytes[..<head.count].elementsEqual(head)
        else { return nil }
        let program = Array(bytes[head.count...])
        // struct sock_filter is 8 bytes; the kernel takes at most BPF_MAXINSNS (4096) of them.
        guard program.count % 8 == 0, program.count / 8 <= 4096 else { return nil }
        return program
    }

    /// The program for `filter`: precompiled in `dir` when there, else compiled now.
    public static func program(_ filter: SeccompFilter, dir: String?) throws -> [UInt8] {
        if let dir, let program = load(filter, dir: dir) { return program }
        return try SeccompCompiler.compile(filter)
    }
}
