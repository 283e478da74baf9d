import Foundation

extension LoadRunner {
    /// The line for the goal "p99 at `many` clients at most 1.5× p99 at `few`", with the bound that a
    /// closed loop sets on it. At saturation every client always has a request in flight, so the mean
    /// latency at `many` clients is `many ÷ throughput` (Little's law) whatever the queue's order; when
    /// the goal's bound (1.5 × the `few`-client p99) falls below that mean, no order of serving the
    /// requests fairly reaches it: p99 under the mean needs over 1% of requests starved, or turned away (503).
    func reportTailGoal(few: (clients: Int, http: LoadFigures), many: (clients: Int, http: LoadFigures)) {
        let bound = 1.5 * few.http.p99Microseconds
        let mean = Double(many.clients) / many.http.perSecond * 1_000_000
        let ratio = many.http.p99Microseconds / few.http.p99Microseconds
        say("")
        say(String(format: "p99 at %d clients ÷ p99 at %d: %.2f (goal at most 1.5, so p99 at most %.0f µs)",
            many.clients, few.clients, ratio, bound))
        say(String(format: "the %d-client mean latency by Little's law, %d ÷ %.0f req/s: %.0f µs; p99 ÷ that mean %.2f", many.clients,
            many.clients, many.http.perSecond, mean, many.http.p99Microseconds / mean))
        if bound < mean {
            say(String(format: "the goal's bound is %.2f× that mean: p99 below the mean needs over 1%% of requests kept waiting far longer", bound / mean))
            say("than the rest, or turned away (503): no fair queue meets it")
        } else {
            say(String(format: "the goal's bound is %.2f× the mean: a queue that keeps p99 within that of the mean meets it", bound / mean))
        }
    }
}
