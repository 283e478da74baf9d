import Foundation

extension LoadRunner {
    /// Runs the open loop at half of `saturation` (the best HTTP throughput measured in this run) and
    /// prints its line: the goal is a p99 at most 4× the p50 of one unloaded client (`unloadedP50`).
    /// pgbench runs `pgbenchAtRate` beside it: the same statements at the same rate, with as many clients
    /// as the service has connections to PostgreSQL (its pool), so both put the same backends to work.
    func reportOpenLoop(path: String, saturation: Double, unloadedP50: Double, connections: Int,
                        pgbenchAtRate: (Double) throws -> LoadFigures, request: @escaping @Sendable (Int) -> [UInt8]) async throws {
        let rate = (saturation / 2).rounded()
        let sql = try pgbenchAtRate(rate)
        let figures = try await openLoop(rate: rate, connections: connections, request: request)
        say("")
        say(String(format: "open loop, %@: %.0f req/s (half of the best HTTP throughput above, %.0f) over %d connections, for %d s;",
            path, rate, saturation, connections, seconds))
        say(String(format: "latency from each request's scheduled send time; goal: p99 at most 4× the unloaded p50 (%.0f µs)", unloadedP50))
        say("            rate/s  answered/s  failed  p50 µs  p99 µs  p99.9 µs  p99 ÷ unloaded p50")
        for (label, row) in [("pgbench -R", sql), ("HTTP      ", figures)] {
            say(String(format: "%@  %6.0f  %10.0f  %6d  %6.0f  %6.0f  %8.0f  %18.2f", label, rate, row.perSecond, row.failed,
                row.p50Microseconds, row.p99Microseconds, row.p999Microseconds, row.p99Microseconds / unloadedP50))
        }
    }
}
