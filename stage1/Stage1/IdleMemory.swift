import CShim
import Glibc
import RktCommon
import RktOS

/// init and pod-init live as long as the pod but, once it runs, only wait: for signals, children
/// and pod I/O. What their setup touched stays resident: the heap it freed, and the code pages
/// of the (statically linked, ~9 MiB) binary, which the kernel maps in 64 KiB fault-around
/// blocks (whole large folios on recent kernels). `release()` hands both back; the few pages the
/// wait loop needs fault in again.
public enum IdleMemory {
    public static func release() {
        _ = rkt_malloc_trim()
        dropCleanFilePages()
    }

    /// `MADV_DONTNEED` on every file mapping whose pages are all clean copies of the file: the
    /// code (never written) and read-only data no relocation touched (`Private_Dirty` and
    /// `Anonymous` 0 in smaps). Dropping them only unmaps them; the page cache keeps the data. Any
    /// mapping with a private page is left alone: relocated or written data exists only there.
    static func dropCleanFilePages() {
        guard let smaps = try? FileIO.readString("/proc/self/smaps") else { return }
        // Parse everything first: String code run after the drop would fault its pages back in.
        var ranges: [(UInt, Int)] = []
        var current: (start: UInt, length: Int)?
        var privatePages = false
        func close() {
            if let c = current, !privatePages { ranges.append((c.start, c.length)) }
            current = nil
        }
        for line in smaps.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = f.first else { continue }
            if first.hasSuffix(":") {
                // A field of the current mapping: any private or anonymous page rules it out.
                if first == "Private_Dirty:" || first == "Anonymous:", f.count >= 2, f[1] != "0" { privatePages = true }
                continue
            }
            close()
            privatePages = false
            guard f.count >= 6, f[1] == "r-xp" || f[1] == "r--p", f[5].hasPrefix("/") else { continue }
            let range = first.split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16) else { continue }
            current = (start, Int(end - start))
        }
        close()
        ranges.withUnsafeBufferPointer { rs in
            for r in rs {
                if let p = UnsafeMutableRawPointer(bitPattern: r.0) { _ = madvise(p, r.1, MADV_DONTNEED) }
            }
        }
    }
}
