import Postgres
import Prometheus
import Synchronization

/// The service's Prometheus metrics, held in its own registry (not the process-global MetricsSystem,
/// so that tests can build many applications in one process). Each name is its base and unit, joined
/// with an underscore by the registry (`http_requests` and `total` give `http_requests_total`).
public final class AppMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]

    /// Each request's counter and histogram, by method, route pattern and status, found once: the
    /// registry builds a metric's name and labels and takes its lock on every lookup, about 3% of an
    /// eligibility check's CPU in the service. At most `requestMetricsKept` kinds are kept (a client may
    /// send any method); the rest are looked up each time, as before.
    private let requestMetrics = Mutex<[RequestKind: (Counter, DurationHistogram)]>([:])
    static let requestMetricsKept = 2_000

    private struct RequestKind: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    public init() {}

    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        let kind = RequestKind(method: method, route: route, status: status)
        let (counter, histogram) = requestMetrics.withLock { kept in
            if let found = kept[kind] { return found }
            let labels = [("method", method), ("route", route), ("status", String(status))]
            let made = (
                registry.makeCounter(
                    descriptor: .init(metricName: "http_requests", unitName: "total", helpText: "HTTP requests by method, route and status."),
                    labels: labels),
                registry.makeDurationHistogram(
                    descriptor: .init(metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP request latency."),
                    labels: labels, buckets: Self.latencyBuckets)
            )
            if kept.count < Self.requestMetricsKept { kept[kind] = made }
            return made
        }
        counter.increment()
        histogram.recordNanoseconds(duration.nanoseconds)
    }

    /// One delivery attempt of a notice: outcome sent, temporary (will retry) or permanent (dead).
    func recordNotice(kind: String, outcome: String) {
        registry.makeCounter(
            descriptor: .init(metricName: "notice_deliveries", unitName: "total", helpText: "Notice delivery attempts by this process, by kind and outcome."),
            labels: [("kind", kind), ("outcome", outcome)]
        ).increment()
    }

    /// The outbox as the database holds it (every process's work): notices by kind and status
    /// (pending = queued, sent, printed, dead), and the age of the oldest unsent one.
    func recordOutbox(_ figures: OutboxFigures) {
        for count in figures.counts {
            registry.makeGauge(
                descriptor: .init(metricName: "notices", unitName: "", helpText: "Notices in the outbox by kind and status."),
                labels: [("kind", count.kind), ("status", count.status)]
            ).set(Int64(count.count))
        }
        registry.makeGauge(
            descriptor: .init(metricName: "notices_oldest_pending", unitName: "seconds", helpText: "Age of the oldest e-mail or text notice not yet sent.")
        ).set(figures.oldestPendingSeconds)
    }

    struct OutboxFigures: Decodable {
        struct Count: Decodable { var kind: String; var status: String; var count: Int }
        var counts: [Count]
        var oldestPendingSeconds: Double
    }

    /// Prometheus text exposition, with the pool's gauges read at scrape time.
    func render(pool: PostgresPool?) -> String {
        if let statistics = pool?.statistics {
            let connections = MetricNameDescriptor(
                metricName: "db_pool_connections", unitName: "", helpText: "The service's PostgreSQL connections, in use and idle.")
            registry.makeGauge(descriptor: connections, labels: [("state", "in_use")]).set(Int64(statistics.inUse))
            registry.makeGauge(descriptor: connections, labels: [("state", "idle")]).set(Int64(statistics.idle))
            registry.makeGauge(
                descriptor: .init(metricName: "db_pool_waiters", unitName: "", helpText: "Requests waiting for a PostgreSQL connection.")
            ).set(Int64(statistics.waiters))
            registry.makeGauge(
                descriptor: .init(metricName: "db_pool_connections_opened", unitName: "", helpText: "PostgreSQL connections the pool has opened.")
            ).set(Int64(statistics.opened))
        }
        return String(decoding: registry.emitToBuffer(), as: UTF8.self)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
