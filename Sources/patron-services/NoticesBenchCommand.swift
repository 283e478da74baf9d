import ArgumentParser
import Configuration
import Foundation
import Logging
import Mail
import NIOPosix
import PatronServices
import PatronServicesHTTP
import Postgres

/// Queues `count` notices and delivers them to a local SMTP sink (aiosmtpd) with the delivery worker as
/// it ships (workers, batch size and lease from the service's defaults), beside the same sink fed by
/// Python's smtplib over one connection as the reference, in the same run. Prints messages per second,
/// the time to drain, and the ratio.
struct NoticesBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notices", abstract: "Benchmark notice delivery against smtplib into the same local SMTP sink.")

    @Option(help: "Notices to queue and deliver (and messages for the reference).") var count: Int = 100_000
    @Option(help: "Embedded cluster folder.") var directory: String = ".data/bench-postgres"
    @Option(help: "The SMTP sink and reference scripts' folder.") var scripts: String = "Tests/smtp"
    @Option(help: "Python with aiosmtpd.") var python: String = "/usr/bin/python3"
    @Option(help: "Delivery workers (default: notices.workers as the service ships).") var workers: Int?
    @Option(help: "Batch size (default: notices.batchSize as the service ships).") var batchSize: Int?

    func run() async throws {
        guard (1...1_000_000).contains(count) else { throw ValidationError("--count: 1 to 1,000,000") }
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        say("load before: \(Self.loadAverage())")
        let cluster = EmbeddedPostgres(baseDirectory: directory, port: 55433, logger: logger)
        let started = try cluster.start()
        defer { if started { try? cluster.stop() } }
        let database = "bench_notices"
        try await DatabaseBootstrap(superuser: cluster.configuration(), logger: logger)
            .prepare(database: database, sqlDirectory: try SQLDirectory.locate(explicit: nil))
        let owner = try await PostgresConnection.connect(cluster.configuration(user: DatabaseRoles.owner, database: database), logger: logger)
        try await owner.execute("begin; select set_config('ps.role', 'consortium_admin', true), set_config('ps.actor', 'bench', true)")
        if try await owner.query("select count(*) from ps.library").scalar(Int.self) == 0 {
            try await owner.execute("""
                insert into ps.library (code, name, currency, time_zone, reply_to_email) values ('BENCH', 'Bench Library', 'USD', 'America/Chicago', 'desk@bench.example.org');
                insert into ps.branch (institution_id, code, name, time_zone, staff_email)
                select institution_id, 'BENCH-MAIN', 'Main', 'America/Chicago', 'staff@bench.example.org' from ps.library;
                insert into ps.patron_type (institution_id, code, description) select institution_id, 'ADULT', 'Adult' from ps.library;
                insert into ps.patron (institution_id, barcode, registered_branch_id, patron_type_id, first_name, last_name, email, expiration_date)
                select b.institution_id, 'B' || lpad(n::text, 8, '0'), b.branch_id, t.patron_type_id, 'Reader', 'Number ' || n,
                       'reader' || n || '@example.org', current_date + 20
                from ps.branch b join ps.patron_type t using (institution_id) cross join generate_series(1, 1000) n;
                """)
        }
        try await owner.execute("delete from ps.outbox; commit")

        let sink = try Self.startSink(python: python, script: "\(scripts)/smtp_sink.py")
        defer { if sink.process.isRunning { sink.process.terminate() } }
        say("SMTP sink (aiosmtpd, counting) on 127.0.0.1:\(sink.port); \(count) messages each")

        // The reference: smtplib over one connection.
        let reference = Process()
        reference.executableURL = URL(fileURLWithPath: python)
        reference.arguments = ["\(scripts)/smtp_reference.py", "--port", String(sink.port), "--count", String(count)]
        let referenceOut = Pipe()
        reference.standardOutput = referenceOut
        try reference.run()
        reference.waitUntilExit()
        let referenceLine = String(decoding: referenceOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard let referenceSeconds = referenceLine.split(separator: " ").last.flatMap({ Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            throw ValidationError("the reference client failed: \(referenceLine)")
        }

        // Queue: one statement, as a job run would.
        var began = ContinuousClock.now
        try await owner.execute("""
            begin; select set_config('ps.role', 'consortium_admin', true);
            insert into ps.outbox (institution_id, kind, patron_id, branch_id, recipients, payload, reply_to)
            select p.institution_id, 'patron_record_expiration', p.patron_id, p.registered_branch_id, array[p.email],
                   jsonb_build_object('expiresOn', p.expiration_date), 'desk@bench.example.org'
            from generate_series(1, \(count)) g join ps.patron p on p.barcode = 'B' || lpad((1 + g % 1000)::text, 8, '0');
            commit
            """)
        let queueSeconds = (ContinuousClock.now - began).seconds
        await owner.close()

        // Deliver with the service's shipped settings.
        let settings = AppConfiguration(reader: ConfigReader(providers: [InMemoryProvider(values: [:])]))
        let delivery = NoticeDelivery.Configuration(
            smtp: SMTPConfiguration(host: "127.0.0.1", port: sink.port, from: "notices@bench.example.org"),
            batchSize: batchSize ?? settings.noticeBatchSize, leaseSeconds: settings.noticeLeaseSeconds, workers: workers ?? settings.noticeWorkers)
        let pool = PostgresPool(configuration: .init(
            connection: cluster.configuration(user: DatabaseRoles.app, database: database), maxConnections: settings.poolSize), logger: logger)
        let threads = NIOThreadPool(numberOfThreads: delivery.workers)
        threads.start()
        began = ContinuousClock.now
        let counts = try await NoticeDelivery(pool: pool, configuration: delivery, logger: logger, threads: threads).drain(name: "bench")
        let drainSeconds = (ContinuousClock.now - began).seconds
        await pool.close()
        try await threads.shutdownGracefully()

        let received = try Self.stopSink(sink)
        say("")
        say(String(format: "queued %d notices in one statement: %.2f s (%.0f/s)", count, queueSeconds, Double(count) / queueSeconds))
        say(String(format: "reference  smtplib, 1 connection:           %8.0f msg/s  (%.1f s)", Double(count) / referenceSeconds, referenceSeconds))
        say(String(format: "service    %d workers, batches of %d:        %8.0f msg/s  (drained in %.1f s; sent %d, retrying %d, dead %d)",
            delivery.workers, delivery.batchSize, Double(counts.sent) / drainSeconds, drainSeconds, counts.sent, counts.temporary, counts.permanent))
        say(String(format: "ratio service ÷ reference: %.2f (goal ≥ 0.5)", (Double(counts.sent) / drainSeconds) / (Double(count) / referenceSeconds)))
        say("sink: \(received) (expected \(2 * count) messages; sessions: 1 for the reference, one per worker and reconnection for the service)")
        say("load after: \(Self.loadAverage())")
    }

    struct Sink {
        let process: Process
        let output: Pipe
        let port: Int
    }

    static func startSink(python: String, script: String) throws -> Sink {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, "--count-only"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = ""
        while !line.hasSuffix("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw ValidationError("the SMTP sink did not start (aiosmtpd for \(python)?)") }
            line += String(decoding: chunk, as: UTF8.self)
        }
        guard let port = Int(line.dropFirst("PORT ".count).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ValidationError("unexpected sink output: \(line)")
        }
        return Sink(process: process, output: output, port: port)
    }

    /// Stops the sink and returns what it reports: messages accepted and SMTP sessions (EHLOs).
    static func stopSink(_ sink: Sink) throws -> String {
        sink.process.terminate()
        sink.process.waitUntilExit()
        let text = String(decoding: sink.output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return text.split(separator: "\n").last { $0.hasPrefix("COUNT ") }.map(String.init) ?? "nothing"
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "unknown"
    }
}
