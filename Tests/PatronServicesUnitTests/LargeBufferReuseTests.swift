import Glibc
import Testing

@testable import PatronServicesHTTP

@Suite("Large answers reuse their buffers")
struct LargeBufferReuseTests {
    /// Page faults of the calling thread so far (RUSAGE_THREAD: other tests' threads do not count).
    static func threadFaults() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(1), &usage)  // RUSAGE_THREAD (1), which Glibc imports only with _GNU_SOURCE
        return usage.ru_minflt
    }

    /// What a report page of 500 bills holds on its way out: the 186 KB text in libpq's result, as the row's
    /// text, and in the response body (256 KB, its capacity rounded up). Writes every page of each and
    /// frees them; returns the faults that took. Synchronous, so one thread runs it all.
    static func servePage(sizes: [Int] = [190_000, 190_000, 262_144]) -> Int {
        let before = threadFaults()
        let buffers = sizes.map { UnsafeMutableRawPointer.allocate(byteCount: $0, alignment: 16) }
        for (buffer, size) in zip(buffers, sizes) { buffer.initializeMemory(as: UInt8.self, repeating: 0x20, count: size) }
        for buffer in buffers { buffer.deallocate() }
        return threadFaults() - before
    }

    @Test("once the service is built, an answer's large buffers come back from the heap: answering again faults in no fresh pages")
    func largeAnswersReuseTheirBuffers() {
        #expect(LargeBufferReuse.apply())
        for _ in 0..<3 { _ = Self.servePage() }
        let faults = (0..<5).map { _ in Self.servePage() }
        // Mapped afresh (or trimmed off the heap and grown again), the three buffers fault in about 120
        // pages each time; reused, none. The median, since another test's thread sharing this thread's
        // malloc arena can take the freed space between two answers (the whole suite runs in parallel).
        #expect(faults.sorted()[2] < 16, "page faults per answer: \(faults)")
        // The largest answer, a page of 5,000 bills (about 2 MB, twice), is below the threshold as well.
        _ = Self.servePage(sizes: [2 << 20, 2 << 20])
        let largest = (0..<3).map { _ in Self.servePage(sizes: [2 << 20, 2 << 20]) }
        #expect(largest.sorted()[1] < 16, "page faults per 2 MB answer: \(largest)")
    }
}
