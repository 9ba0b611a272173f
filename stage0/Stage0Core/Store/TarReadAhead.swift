#if canImport(Glibc)
import Glibc
#endif
import RktCommon

/// Fills buffers on a thread of its own, a few buffers ahead of the tar reader, so that the work
/// before parsing overlaps with parsing and extracting (the import benchmark compares against
/// `tar -xzf`, which pipes gzip into tar the same way). For a compressed image the thread runs
/// libarchive's decompressor; for a plain one it reads and hashes (rendering re-reads a blob).
///
/// `fill` runs only on the producer thread until it has finished (it owns the raw archive and the
/// source fd meanwhile); the consumer only sees filled buffers. Handing a buffer back frees its slot.
final class TarReadAhead: @unchecked Sendable {
    private let fill: (UnsafeMutableRawPointer, Int) -> Int
    private let bufSize: Int
    private let slots: [UnsafeMutableRawPointer]
    private let cond = PThreadCondition()
    /// Filled buffers in order: slot index and length (0 = end, -1 = error).
    private var filled: [(slot: Int, count: Int)] = []
    private var free: [Int]
    private var cancelled = false
    private var running = true
    private var error: RktError?
    /// The slot the consumer is reading, returned to `free` on its next call.
    private var lent: Int?
    /// Builds the error after `fill` returned -1; runs on the producer thread.
    private let describeFailure: () -> RktError

    /// `fill(buffer, capacity)` returns the bytes it put in `buffer`, 0 at the end, -1 on failure.
    init(bufSize: Int, depth: Int = 8, fill: @escaping (UnsafeMutableRawPointer, Int) -> Int,
         describeFailure: @escaping () -> RktError) {
        self.fill = fill
        self.bufSize = bufSize
        self.describeFailure = describeFailure
        slots = (0..<depth).map { _ in UnsafeMutableRawPointer.allocate(byteCount: bufSize, alignment: 16) }
        free = Array(0..<depth)
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        pthread_attr_setstacksize(&attr, 1 << 20)
        pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
        defer { pthread_attr_destroy(&attr) }
        // The thread holds a reference until `produce` returns, as Foundation's Thread did.
        let me = Unmanaged.passRetained(self).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, &attr, { arg in
            Unmanaged<TarReadAhead>.fromOpaque(arg!).takeRetainedValue().produce()
            return nil
        }, me)
        if rc != 0 {
            Unmanaged<TarReadAhead>.fromOpaque(me).release()
            error = RktError("cannot start the read-ahead thread", causes: [RktError.strerror(rc)])
            filled = [(0, -1)]
            running = false
        }
    }

    deinit {
        for s in slots { s.deallocate() }
    }

    private func produce() {
        while true {
            cond.lock()
            while free.isEmpty && !cancelled { cond.wait() }
            if cancelled {
                running = false
                cond.broadcast()
                cond.unlock()
                return
            }
            let slot = free.removeFirst()
            cond.unlock()

            let n = fill(slots[slot], bufSize)
            let failure = n < 0 ? describeFailure() : nil

            cond.lock()
            filled.append((slot, n < 0 ? -1 : n))
            if let failure { error = failure }
            let done = n <= 0
            if done { running = false }
            cond.broadcast()
            cond.unlock()
            if done { return }
        }
    }

    /// The next chunk of uncompressed bytes: a count > 0 with `out` set, 0 at the end, -1 on a
    /// failure (then `failure` says why).
    func read(_ out: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        cond.lock()
        defer { cond.unlock() }
        if let slot = lent {
            free.append(slot)
            lent = nil
            cond.broadcast()
        }
        while filled.isEmpty { cond.wait() }
        let (slot, n) = filled[0]
        if n <= 0 { return n }  // leave the end/error marker for later calls
        filled.removeFirst()
        lent = slot
        out.pointee = UnsafeRawPointer(slots[slot])
        return n
    }

    var failure: RktError? {
        cond.lock()
        defer { cond.unlock() }
        return error
    }

    /// Stops the producer and waits for it, so the raw archive and the source fd can be
    /// released safely (the reader may give up half-way through a bad image).
    func stop() {
        cond.lock()
        cancelled = true
        cond.broadcast()
        while running { cond.wait() }
        cond.unlock()
    }
}

/// NSCondition's four calls on a pthread mutex and condition variable: Foundation stays out of
/// `rkt` (docs/hacking.md "Two stage0 binaries").
private final class PThreadCondition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cv = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cv, nil)
    }

    deinit {
        pthread_cond_destroy(cv)
        pthread_mutex_destroy(mutex)
        cv.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    func wait() { pthread_cond_wait(cv, mutex) }
    func broadcast() { pthread_cond_broadcast(cv) }
}
