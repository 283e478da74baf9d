import Foundation
import Logging
import Mail
import NIOPosix
import Postgres

/// The delivery worker: claims due notices (`ps.claim_notices`, `for update skip locked`), renders and
/// sends each over SMTP, and records the outcomes (`ps.finish_notices`): two statements per batch
/// whatever its size. Any number of these may run, in any number of processes.
///
/// Guarantee: at least once. A row is marked sent only after the server's 250; a worker that dies
/// between the 250 and the mark leaves its lease to expire and the row is sent again with the same
/// Message-ID (`<notice-INSTITUTION-MESSAGE@domain>`), which lets a mail store or reader recognise the
/// copy. Nothing is lost silently: a row ends sent, printed or dead with its last error.
public struct NoticeDelivery: Sendable {
    public struct Configuration: Sendable {
        public var smtp: SMTPConfiguration
        /// Notices claimed per batch (1–1000).
        public var batchSize: Int
        /// Seconds a claim lasts before another worker may take the rows again (1–3600).
        public var leaseSeconds: Int
        /// Concurrent senders, each with its own SMTP connection.
        public var workers: Int

        public init(smtp: SMTPConfiguration, batchSize: Int = 100, leaseSeconds: Int = 300, workers: Int = 2) {
            self.smtp = smtp
            self.batchSize = min(max(batchSize, 1), 1_000)
            self.leaseSeconds = min(max(leaseSeconds, 1), 3_600)
            self.workers = min(max(workers, 1), 64)
        }
    }

    /// What one batch or one drain did.
    public struct Counts: Sendable, Equatable {
        public var sent = 0, temporary = 0, permanent = 0
        public var claimed: Int { sent + temporary + permanent }
        public init() {}
        static func + (a: Counts, b: Counts) -> Counts {
            var c = a
            c.sent += b.sent; c.temporary += b.temporary; c.permanent += b.permanent
            return c
        }
    }

    public let pool: PostgresPool
    public let configuration: Configuration
    public let renderer: NoticeRenderer
    public let logger: Logger
    /// Called once per finished notice (kind, outcome: sent, temporary, permanent), for metrics.
    public let record: @Sendable (String, String) -> Void
    private let threads: NIOThreadPool

    public init(
        pool: PostgresPool, configuration: Configuration, logger: Logger, threads: NIOThreadPool,
        record: @escaping @Sendable (String, String) -> Void = { _, _ in }
    ) {
        self.pool = pool
        self.configuration = configuration
        self.renderer = NoticeRenderer()
        self.logger = logger
        self.threads = threads
        self.record = record
    }

    /// Sends everything due now with `configuration.workers` senders; returns when nothing is due.
    public func drain(name: String) async throws -> Counts {
        try await withThrowingTaskGroup(of: Counts.self) { group in
            for index in 0..<configuration.workers {
                group.addTask {
                    let client = SMTPClient(configuration: configuration.smtp)
                    var total = Counts()
                    while !Task.isCancelled {
                        let counts = try await deliverBatch(worker: "\(name)/\(index)", client: client)
                        total = total + counts
                        if counts.claimed == 0 { break }
                    }
                    return total
                }
            }
            return try await group.reduce(Counts(), +)
        }
    }

    /// Claims one batch, sends it and records the outcomes.
    public func deliverBatch(worker: String, client: SMTPClient) async throws -> Counts {
        let claimed = try await pool.transactionalQuery(
            NoticeQueries.claim(worker: worker, limit: configuration.batchSize, leaseSeconds: configuration.leaseSeconds),
            options: NoticeQueries.systemOptions("system:notices")
        ).scalar(PostgresJSON.self)
        let notices = try claimed.decode([RenderableNotice].self)
        guard !notices.isEmpty else { return Counts() }
        let outcomes = try await threads.runIfActive { [self] in
            notices.map { notice in (notice, send(notice, client: client)) }
        }
        var counts = Counts()
        var results: [Outcome] = []
        for (notice, outcome) in outcomes {
            switch outcome {
            case .sent:
                counts.sent += 1
                results.append(Outcome(messageId: notice.messageId, outcome: "sent", error: nil))
            case .temporary(let error):
                counts.temporary += 1
                results.append(Outcome(messageId: notice.messageId, outcome: "temporary", error: error))
            case .permanent(let error):
                counts.permanent += 1
                results.append(Outcome(messageId: notice.messageId, outcome: "permanent", error: error))
            }
            record(notice.kind, results.last!.outcome)
            if case .sent = outcome {} else {
                logger.warning("notice not delivered", metadata: [
                    "messageId": "\(notice.messageId)", "kind": "\(notice.kind)", "attempt": "\(notice.attempts)",
                    "outcome": "\(results.last!.outcome)", "error": "\(results.last!.error ?? "")"])
            }
        }
        _ = try await pool.transactionalQuery(NoticeQueries.finish(try PostgresJSON(encoding: results)),
            options: NoticeQueries.systemOptions("system:notices"))
        return counts
    }

    struct Outcome: Encodable {
        var messageId: Int64
        var outcome: String
        var error: String?
    }

    /// The stable Message-ID of a notice: the same on every attempt, so a resend is recognisable.
    public static func messageID(_ notice: RenderableNotice, domain: String) -> String {
        "<notice-\(notice.institutionId)-\(notice.messageId)@\(domain)>"
    }

    /// Renders and sends one notice (blocking: runs on the thread pool).
    func send(_ notice: RenderableNotice, client: SMTPClient) -> SMTPOutcome {
        let rendered: NoticeTemplate.Rendered
        do {
            rendered = try renderer.render(notice)
        } catch {
            return .permanent("cannot render: \(error)")
        }
        let smtp = configuration.smtp
        // A text message carries only the subject: one short message through the carrier's gateway.
        let isText = notice.channel == "sms"
        let message = MailMessage(
            fromName: notice.libraryName, from: smtp.from, to: notice.recipients, replyTo: notice.replyTo,
            subject: isText ? "" : rendered.subject, messageID: Self.messageID(notice, domain: smtp.messageIDDomain),
            text: isText ? String(rendered.subject.prefix(160)) : rendered.text, html: isText ? nil : rendered.html)
        return client.send(message, recipients: notice.recipients)
    }
}
