import Foundation
import Logging
import Mail
import NIOPosix
import PatronServices
import PatronServicesHTTP
import PatronServicesTesting
import Postgres
import Testing

/// The demo consortium with its demo patron (two e-mail addresses), a real SMTP server on loopback, and
/// the delivery worker and reminder jobs run as `serve` runs them.
struct NoticeFixture {
    let fixture: DemoFixture
    let patron: Int64
    let institution: Int64
    let branch: Int64
    let patronType: Int64
    let admin: String
    let staff: String

    static let primary = "ada@mail.example.com"
    static let alternate = "ada@work.example.net"

    static func make() async throws -> NoticeFixture {
        let fixture = try await DemoFixture.make()
        let row = try await fixture.asAdmin { connection async throws in
            try await connection.query("""
                update ps.patron p set email = \(primary), alt_email = \(alternate), first_name = 'Ada', last_name = 'Lovelace',
                    address_line1 = '12 Elm Street', city = 'Chicago', state = 'IL', postal_code = '60614'
                where barcode = \(fixture.credentials.patronBarcode)
                returning patron_id, institution_id, registered_branch_id, patron_type_id,
                    (select code from ps.library l where l.institution_id = p.institution_id) as code
                """).single()
        }
        let code: String = try row.decode("code")
        return NoticeFixture(
            fixture: fixture, patron: try row.decode("patron_id"), institution: try row.decode("institution_id"),
            branch: try row.decode("registered_branch_id"), patronType: try row.decode("patron_type_id"),
            admin: fixture.tokens["\(code)/library_admin"]!, staff: fixture.tokens["\(code)/circulation_supervisor"]!)
    }

    /// Runs the delivery worker until nothing is due, against the SMTP server on `port`.
    @discardableResult
    func deliver(port: Int, workers: Int = 1, batchSize: Int = 100, name: String = "test", smtp: (inout SMTPConfiguration) -> Void = { _ in }) async throws -> NoticeDelivery.Counts {
        var configuration = Self.smtp(port: port)
        smtp(&configuration)
        let pool = PostgresPool(configuration: .init(connection: fixture.database.app, maxConnections: workers + 1))
        let threads = NIOThreadPool(numberOfThreads: workers)
        threads.start()
        let delivery = NoticeDelivery(
            pool: pool, configuration: .init(smtp: configuration, batchSize: batchSize, workers: workers),
            logger: Logger(label: "test"), threads: threads)
        do {
            let counts = try await delivery.drain(name: name)
            await pool.close()
            try await threads.shutdownGracefully()
            return counts
        } catch {
            await pool.close()
            try? await threads.shutdownGracefully()
            throw error
        }
    }

    static func smtp(port: Int) -> SMTPConfiguration {
        SMTPConfiguration(host: "127.0.0.1", port: port, from: "notices@consortium.example.org", connectTimeoutSeconds: 5, timeoutSeconds: 10)
    }

    /// Runs the reminder jobs for a day as the service does.
    @discardableResult
    func runJobs(_ date: CivilDate? = nil, dryRun: Bool = false) async throws -> JobSummary {
        let pool = PostgresPool(configuration: .init(connection: fixture.database.app, maxConnections: 1))
        defer { Task { await pool.close() } }
        return try await NoticeJobService(pool: pool, interval: .seconds(3_600), logger: Logger(label: "test"))
            .runOnce(date: date, dryRun: dryRun).decode(JobSummary.self)
    }

    /// Makes every pending notice due now (a retry's backoff, a crashed worker's lease, elapsed).
    func elapseBackoff() async throws {
        try await fixture.asAdmin { try await $0.query("update ps.outbox set next_attempt_at = now() where status = 'pending'") }
    }

    func notices(_ filter: String = "true") async throws -> [(kind: String, channel: String, status: String, recipients: [String])] {
        try await fixture.asAdmin { connection async throws in
            try await connection.query("""
                select kind, channel, status, recipients from ps.outbox where patron_id = \(patron) and \(unescaped: filter) order by message_id
                """).map { (try $0.decode("kind"), try $0.decode("channel"), try $0.decode("status"), try $0.decode("recipients")) }
        }
    }

    func sql(_ query: PostgresQuery) async throws {
        try await fixture.asAdmin { _ = try await $0.query(query) }
    }

    /// An item of the patron's library lent to the patron, due at `due`.
    func lend(title: String, barcode: String, due: String) async throws {
        try await sql("""
            with i as (insert into ps.item (institution_id, branch_id, barcode, title, cost_minor)
                       values (\(institution), \(branch), \(barcode), \(title), 2500) returning institution_id, item_id)
            insert into ps.loan (institution_id, item_id, patron_id, checkout_branch_id, due_at)
            select institution_id, item_id, \(patron), \(branch), \(due)::timestamptz from i
            """)
    }
}

/// What `ps.run_notice_jobs` reports.
struct JobSummary: Decodable {
    var date: String
    var queued: [String: [String: Int]]
    var membershipReminders: [String: Int]

    func count(_ kind: String) -> Int { queued[kind]?.values.reduce(0, +) ?? 0 }
}
