import CShim
import Glibc
import RktCommon
import RktOS

/// init and pod-init live as long as the pod but, once it runs, only wait: for signals, children
/// and pod I/O. What their setup touched stays resident: the heap it freed, the code pages of the
/// (static PIE, glibc included, ~8 MiB) binary, and the data pages it read. Recent kernels map
/// a file fault's whole fault-around block (whole large folios), so a handful of touched pages
/// kept hundreds of KiB each. `release()` hands all of it back and marks the mappings random
/// access (`MADV_RANDOM`: no fault-around). Callers run it right before they block, once the pod
/// has settled, so only the code of the return path comes back while the pod idles
/// (docs/stage1.md "Memory").
public enum IdleMemory {
    /// How long a pod must have run before the first release: a pod that exits sooner (a batch
    /// job, `rkt run` of a short command) never pays for it on its way out.
    public static let settleMillis = 300

    /// Mapping ranges, in memory that outlives `release()`: the last step (dropping the code)
    /// must not free anything, or the allocator's and the Swift runtime's code would fault back
    /// in. Processes have a few dozen file mappings; more than `capacity` are left alone.
    static let capacity = 256
    nonisolated(unsafe) static let starts = UnsafeMutablePointer<UInt>.allocate(capacity: capacity)
    nonisolated(unsafe) static let lengths = UnsafeMutablePointer<Int>.allocate(capacity: capacity)

    /// `release()` when `due`, which it then clears: the hook the wait loops run before blocking.
    public static func release(ifDue due: inout Bool) {
        guard due else { return }
        due = false
        release()
    }

    public static func release() {
        _ = rkt_malloc_trim()
        let wholeCount = dropSharedDataPages()
        // Nothing but madvise from here to the return. Even the globals are read first: on Linux
        // every access to one calls the runtime's swift_once, whose code would come back.
        let (s, l) = (starts, lengths)
        for i in 0..<wholeCount {
            guard let p = UnsafeMutableRawPointer(bitPattern: s[i]) else { continue }
            _ = madvise(p, l[i], MADV_DONTNEED)
            _ = madvise(p, l[i], MADV_RANDOM)
        }
    }

    /// File mappings, from smaps: those whose pages are all clean copies of the file (code and
    /// read-only data no relocation touched) are dropped whole, by the caller, last; in the
    /// others (writable data, relocated read-only data) only the pages still shared with the page
    /// cache are dropped here, found through `/proc/self/pagemap`. A page a relocation or a write
    /// copied is anonymous there and stays: it exists nowhere else. Returns how many whole
    /// mappings `starts`/`lengths` hold.
    static func dropSharedDataPages() -> Int {
        let (whole, partial) = fileMappings()
        let pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
        if pagemap >= 0 {
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let maxPages = partial.reduce(0) { max($0, $1.1 / page) }
            let entries = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, maxPages))
            for r in partial { dropSharedPages(start: r.0, length: r.1, page: page, pagemap: pagemap, entries: entries) }
            entries.deallocate()
            Glibc.close(pagemap)
        }
        let n = min(whole.count, capacity)
        for i in 0..<n { (starts[i], lengths[i]) = whole[i] }
        return n
    }

    /// The private file mappings of this process, from smaps: all-clean ones, and ones with
    /// private pages or writable (any page may turn private).
    static func fileMappings() -> (whole: [(UInt, Int)], partial: [(UInt, Int)]) {
        guard let smaps = try? FileIO.readString("/proc/self/smaps") else { return ([], []) }
        var whole: [(UInt, Int)] = []
        var partial: [(UInt, Int)] = []
        var current: (start: UInt, length: Int)?
        var privatePages = false
        func close() {
            if let c = current { if privatePages { partial.append(c) } else { whole.append(c) } }
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
            guard f.count >= 6, f[1].hasSuffix("p"), f[1] != "---p", f[5].hasPrefix("/") else { continue }
            let range = first.split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16) else { continue }
            current = (start, Int(end - start))
            // A writable private mapping may be written at any time: treat it as partial.
            if f[1].hasPrefix("rw") { privatePages = true }
        }
        close()
        return (whole, partial)
    }

    /// Drops the present pages of one private file mapping that are still the page cache's
    /// (pagemap bit 61 "file page or shared anon"; a copied-on-write page is plain anonymous).
    /// This process is single-threaded and nothing between the read of pagemap and the
    /// `madvise` writes to these mappings, so no page turns private in between.
    static func dropSharedPages(start: UInt, length: Int, page: Int, pagemap: Int32,
                                entries: UnsafeMutablePointer<UInt64>) {
        let count = length / page
        let want = count * 8
        let got = pread(pagemap, entries, want, off_t(start / UInt(page)) * 8)
        guard got == want else { return }
        let present: UInt64 = 1 << 63
        let filePage: UInt64 = 1 << 61
        var runStart = -1
        for i in 0...count {
            let drop = i < count && entries[i] & (present | filePage) == (present | filePage)
            if drop {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if let p = UnsafeMutableRawPointer(bitPattern: start + UInt(runStart * page)) {
                    _ = madvise(p, (i - runStart) * page, MADV_DONTNEED)
                }
                runStart = -1
            }
        }
        if let p = UnsafeMutableRawPointer(bitPattern: start) { _ = madvise(p, length, MADV_RANDOM) }
    }
}
