import Foundation
import Glibc
import Synchronization

/// Sends requests at a fixed rate, whatever the answers' speed, and measures each answer's latency
/// from the time the request was scheduled to be sent: the latency a library's desk sees, including
/// the time a request waits behind a slow one (wrk, a closed loop, leaves that out).
///
/// Request `i` is due at `start + i / rate` and goes out on connection `i mod connections`; each
/// connection is one thread, so a late answer delays that connection's next requests, whose wait is
/// counted.
struct OpenLoopGenerator {
    let port: Int
    let connections: Int
    let rate: Double
    let seconds: Double
    /// The bytes of the `i`-th request.
    let request: @Sendable (Int) -> [UInt8]

    func run() throws -> LoadFigures {
        let total = Int(rate * seconds)
        let start = Self.now() + 50_000_000  // 50 ms for the threads to start
        let results = Collected()
        let done = DispatchGroup()
        for lane in 0..<connections {
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                var latencies: [Double] = []
                var failed = 0
                let connection = try? BenchHTTPConnection(port: port)
                for index in stride(from: lane, to: total, by: connections) {
                    let due = start + UInt64(Double(index) / rate * 1e9)
                    Self.sleep(until: due)
                    guard let connection, let answer = try? connection.exchange(request(index)), (200..<300).contains(answer.status) else {
                        failed += 1
                        continue
                    }
                    latencies.append(Double(Self.now() - due) / 1_000)
                }
                results.state.withLock {
                    $0.latencies += latencies
                    $0.failed += failed
                }
            }
            thread.start()
        }
        done.wait()
        let elapsed = Double(Self.now() - start) / 1e9
        let (latencies, failed) = results.state.withLock { ($0.latencies.sorted(), $0.failed) }
        return LoadFigures(perSecond: Double(latencies.count) / elapsed, sortedLatencies: latencies, failed: failed)
    }

    /// What the threads hand back.
    private final class Collected: Sendable {
        let state = Mutex<(latencies: [Double], failed: Int)>(([], 0))
    }

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    static func sleep(until deadline: UInt64) {
        var time = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &time, nil) == EINTR {}
    }
}
