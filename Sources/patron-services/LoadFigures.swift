import ArgumentParser
import Foundation
import Postgres

/// Throughput and latency of one measured run, from wrk or pgbench.
struct LoadFigures: Sendable {
    var perSecond: Double
    var p50Microseconds: Double
    var p99Microseconds: Double
    /// Read from pgbench's transaction log only; wrk's report stops at 99%.
    var p999Microseconds: Double = .nan
    /// Requests that failed: timed out, errored on the socket, or answered other than 2xx. Counted and
    /// reported beside the figures, never a reason to throw the run away.
    var failed: Int = 0

    /// Each figure's median over several runs (failures summed).
    static func median(_ runs: [LoadFigures]) -> LoadFigures {
        func middle(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        return LoadFigures(perSecond: middle(runs.map(\.perSecond)), p50Microseconds: middle(runs.map(\.p50Microseconds)),
            p99Microseconds: middle(runs.map(\.p99Microseconds)), failed: runs.map(\.failed).reduce(0, +))
    }

    /// Reads wrk's `--latency` report: "Requests/sec:" and the 50% / 99% lines, and counts the failed
    /// requests ("Socket errors: connect N, read N, write N, timeout N", "Non-2xx or 3xx responses: N").
    static func wrk(_ output: String) throws -> LoadFigures {
        var failed = 0
        for line in output.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("Socket errors:") || text.hasPrefix("Non-2xx or 3xx responses:") {
                failed += text.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }.reduce(0, +)
            }
        }
        func percentile(_ label: String) -> Double? {
            guard let line = output.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) })
            else { return nil }
            let value = line.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init) ?? ""
            let units: [(String, Double)] = [("us", 1), ("ms", 1_000), ("s", 1_000_000), ("m", 60_000_000)]
            for (suffix, scale) in units where value.hasSuffix(suffix) {
                if let number = Double(value.dropLast(suffix.count)) { return number * scale }
            }
            return nil
        }
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }),
            let perSecond = Double(line.dropFirst("Requests/sec:".count).trimmingCharacters(in: .whitespaces)),
            let p50 = percentile("50%"), let p99 = percentile("99%")
        else { throw ValidationError("cannot read wrk output:\n\(output)") }
        return LoadFigures(perSecond: perSecond, p50Microseconds: p50, p99Microseconds: p99, failed: failed)
    }

    /// Reads pgbench's "tps = " line and the per-transaction latencies (third field, µs) of its `--log` files.
    static func pgbench(_ output: String, logPrefix: String) throws -> LoadFigures {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let tps = Double(line.dropFirst(6).prefix { $0 != " " })
        else { throw ValidationError("cannot read pgbench output:\n\(output)") }
        if let failed = output.split(separator: "\n").first(where: { $0.contains("number of failed transactions") }),
            !failed.contains(": 0 ") {
            throw ValidationError("pgbench saw failed transactions:\n\(output)")
        }
        let folder = URL(fileURLWithPath: logPrefix).deletingLastPathComponent()
        let stem = URL(fileURLWithPath: logPrefix).lastPathComponent
        var latencies: [Double] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasPrefix(stem + ".") {
            let path = folder.appendingPathComponent(file).path
            for record in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
                let fields = record.split(separator: " ")
                if fields.count > 2, let micros = Double(fields[2]) { latencies.append(micros) }
            }
            try FileManager.default.removeItem(atPath: path)
        }
        latencies.sort()
        guard !latencies.isEmpty else { throw ValidationError("pgbench wrote no transaction log") }
        // With --rate the logged time runs from the transaction's scheduled start: it includes the lag.
        return LoadFigures(perSecond: tps, sortedLatencies: latencies)
    }
}

extension LoadFigures {
    /// From latencies in microseconds, sorted: their p50, p99 and p99.9 beside the throughput.
    init(perSecond: Double, sortedLatencies latencies: [Double], failed: Int = 0) {
        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
        self.init(perSecond: perSecond, p50Microseconds: percentile(0.5), p99Microseconds: percentile(0.99),
            p999Microseconds: percentile(0.999), failed: failed)
    }
}
