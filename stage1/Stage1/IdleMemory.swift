import CShim
import Glibc
import RktCommon
import RktOS

/// init and pod-init live as long as the pod but, once it runs, only wait: for signals, children
/// and pod I/O. What their setup touched stays resident: the heap it freed, and the code pages
/// of the (statically linked, ~9 MiB) binary, which the kernel maps in 64 KiB fault-around
/// blocks. `release()` hands both back; the few pages the wait loop needs fault in again.
public enum IdleMemory {
    public static func release() {
        _ = rkt_malloc_trim()
        dropCodePages()
    }

    /// `MADV_DONTNEED` on every executable file mapping. Code is never written, so the pages are
    /// clean copies of the file: dropping them only unmaps them (the page cache keeps the data).
    /// Writable and read-only data mappings are left alone: relocated data exists only in them.
    static func dropCodePages() {
        guard let maps = try? FileIO.readString("/proc/self/maps") else { return }
        // Parse everything first: String code run after the drop would fault its pages back in.
        var ranges: [(UInt, Int)] = []
        for line in maps.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 6, f[1] == "r-xp", f[5].hasPrefix("/") else { continue }
            let range = f[0].split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16) else { continue }
            ranges.append((start, Int(end - start)))
        }
        ranges.withUnsafeBufferPointer { rs in
            for r in rs {
                if let p = UnsafeMutableRawPointer(bitPattern: r.0) { _ = madvise(p, r.1, MADV_DONTNEED) }
            }
        }
    }
}
