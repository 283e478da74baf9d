#if canImport(Glibc)
import CMalloc
#endif

/// Keeps the buffers of large answers in the heap, to be reused, instead of mapping fresh pages for each.
///
/// A report page of 500 bills is a 186 KB JSON text, held twice on its way out (the row's text, then the
/// response body). glibc maps every allocation over its threshold (128 KB, raised only by the size of the
/// last one freed) with `mmap` and unmaps it when freed, and trims the heap's top when more than twice
/// that is free; so each page touched about 100 fresh pages: 100 page faults, and unmapping shoots down
/// TLB entries on the other core. That was a quarter of the service's CPU for a page (0.7 ms of CPU a page,
/// 0.5 ms without). The largest answer is a report page of 5,000 bills, about 2 MB: below `mmapThreshold`
/// every buffer comes from the heap, and a thread's heap returns memory to the system only once more than
/// `trimThreshold` of it is free (so a few threads that served large pages keep at most that much each).
enum LargeBufferReuse {
    /// Allocations at least this large are still mapped on their own (8 MiB).
    static let mmapThreshold: Int32 = 8 << 20
    /// Free memory at the top of a heap beyond this is returned to the system (16 MiB).
    static let trimThreshold: Int32 = 16 << 20

    /// Sets both thresholds for the process, once (later calls do nothing). True when glibc took them.
    @discardableResult
    static func apply() -> Bool { applied }

    private static let applied: Bool = {
        #if canImport(Glibc)
        return mallopt(M_MMAP_THRESHOLD, mmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, trimThreshold) == 1
        #else
        return false
        #endif
    }()
}
