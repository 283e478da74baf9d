import ArgumentParser
import Foundation
import Logging
import Postgres

/// Compares the pool against `pgbench -S -M prepared` on the same cluster in the same run:
/// the same single-row prepared select, the same number of clients (connections), the same duration.
struct PoolBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool", abstract: "Benchmark pooled prepared selects against pgbench on the embedded cluster.")

    @Option(help: "Client counts to measure.") var clients: [Int] = [1, 8, 32]
    @Option(help: "Seconds per measurement.") var seconds: Int = 8
    @Option(help: "pgbench scale factor (100,000 accounts each).") var scale: Int = 10
    @Option(help: "Embedded cluster folder.") var directory: String = ".data/bench-postgres"
    @Option(help: "Interleaved pgbench/pool rounds per client count (the medians are reported).") var rounds: Int = 3
    @Flag(help: "Also measure the same tasks preferring the Postgres event loop.") var eventLoop = false

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let cluster = EmbeddedPostgres(baseDirectory: directory, port: 55433, logger: logger)
        let started = try cluster.start()
        defer { if started { try? cluster.stop() } }
        let admin = try await PostgresConnection.connect(cluster.configuration(), logger: logger)
        if try await admin.query("select 1 from pg_database where datname = 'bench'").isEmpty {
            try await admin.execute("create database bench")
        }
        await admin.close()
        let pgbench = EmbeddedPostgres.binary("pgbench")
        let common = ["-h", cluster.socketDirectory, "-p", String(cluster.port), "-U", "postgres"]
        say("initialising pgbench data, scale \(scale) (\(scale * 100_000) accounts)…")
        _ = try shell(pgbench, ["-i", "-q", "-s", String(scale)] + common + ["bench"])
        let accounts = scale * 100_000

        say("pool: tasks on the default executor\(eventLoop ? "; event loop: the same tasks preferring the Postgres event loop" : "")")
        say("\(rounds) interleaved rounds of \(seconds) s per client count; medians, and the range of the rounds' ratios")
        say("clients  pgbench q/s  pool q/s  ratio  (rounds)     p50 µs  p99 µs" + (eventLoop ? "   event loop q/s  ratio" : ""))
        for count in clients {
            let pool = PostgresPool(
                configuration: .init(connection: cluster.configuration(database: "bench"), maxConnections: count), logger: logger)
            var sql: [Double] = [], ours: [Double] = [], loop: [Double] = [], p50s: [Double] = [], p99s: [Double] = []
            for _ in 0..<rounds {
                sql.append(try pgbenchTPS(pgbench, common: common, clients: count))
                let (qps, p50, p99) = try await measure(pool: pool, clients: count, accounts: accounts)
                ours.append(qps)
                p50s.append(p50)
                p99s.append(p99)
                if eventLoop {
                    loop.append(try await pool.withEventLoop { try await measure(pool: pool, clients: count, accounts: accounts).0 })
                }
            }
            await pool.close()
            let ratios = zip(ours, sql).map { $0 / $1 }
            var line = String(
                format: "%7d  %11.0f  %8.0f  %5.2f  (%.2f–%.2f)  %6.0f  %6.0f", count, sql.median, ours.median, ours.median / sql.median,
                ratios.min() ?? 0, ratios.max() ?? 0, p50s.median, p99s.median)
            if eventLoop { line += String(format: "   %14.0f  %5.2f", loop.median, loop.median / sql.median) }
            say(line)
        }
    }

    func pgbenchTPS(_ pgbench: String, common: [String], clients: Int) throws -> Double {
        let output = try shell(
            pgbench, ["-S", "-M", "prepared", "-n", "-c", String(clients), "-j", String(min(clients, 2)), "-T", String(seconds)] + common + ["bench"])
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let value = Double(line.dropFirst(6).prefix { $0 != " " })
        else { throw ValidationError("cannot read pgbench output: \(output)") }
        return value
    }

    func measure(pool: PostgresPool, clients: Int, accounts: Int) async throws -> (Double, Double, Double) {
        // Warm up: open every connection and prepare the statement on it.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<clients { group.addTask { _ = try await pool.query("select abalance from pgbench_accounts where aid = \(1)") } }
            try await group.waitForAll()
        }
        let deadline = ContinuousClock.now + .seconds(seconds)
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for client in 0..<clients {
                group.addTask {
                    var samples: [Int64] = []
                    var aid = client * 7919 % accounts
                    while ContinuousClock.now < deadline {
                        aid = (aid &* 1_103_515_245 &+ 12345) % accounts
                        let began = ContinuousClock.now
                        let result = try await pool.query("select abalance from pgbench_accounts where aid = \(aid + 1)")
                        precondition(result.count == 1)
                        let elapsed = ContinuousClock.now - began
                        samples.append(elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000)
                    }
                    return samples
                }
            }
            var all: [Int64] = []
            for try await samples in group { all += samples }
            return all.sorted()
        }
        let elapsed = ContinuousClock.now - start
        let seconds = elapsed.seconds
        let p50 = Double(latencies[latencies.count / 2])
        let p99 = Double(latencies[min(latencies.count - 1, latencies.count * 99 / 100)])
        return (Double(latencies.count) / seconds, p50, p99)
    }

    func shell(_ executable: String, _ arguments: [String]) throws -> String {
        try EmbeddedPostgres.runProcess(executable, arguments)
    }
}
