import Configuration
import Foundation
import Logging
import Mail
import PatronServices
import Postgres

/// Every setting the service reads, with its key and default. Keys map to environment variables by
/// upper-casing and replacing dots with underscores (`database.pool.size` → `DATABASE_POOL_SIZE`).
public struct AppConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var maxBodyBytes: Int
    /// Largest import upload (`POST /staff/v1/imports`): a library's patron file or catalogue.
    public var maxImportBytes: Int
    /// Open client connections at most; more are closed as they arrive.
    public var maxConnections: Int
    /// Seconds a new connection has to send a complete request head.
    public var requestHeaderTimeoutSeconds: Double
    /// Seconds a request has, after its head, to send its whole body.
    public var requestBodyTimeoutSeconds: Double
    /// Seconds a kept-alive connection may wait for its next request.
    public var idleTimeoutSeconds: Double
    /// Origins (scheme://host[:port]) whose web pages may call the API (CORS); none by default.
    public var corsAllowedOrigins: [String]
    /// The `Strict-Transport-Security` value to send (behind TLS), or nil.
    public var strictTransportSecurity: String?
    public var logLevel: Logger.Level
    /// `json` (one JSON object per line, the default) or `text`.
    public var logFormat: String
    /// libpq URL or conninfo string for the service role; nil means "use PG* variables or the embedded cluster".
    public var databaseURL: String?
    /// For `migrate`: the owner's connection (defaults to `databaseURL`).
    public var databaseOwnerURL: String?
    public var databaseName: String
    public var poolSize: Int
    /// Requests that may wait for a pooled connection at once; beyond them, 503 `busy` with Retry-After.
    public var poolMaxWaiting: Int
    public var acquireTimeoutMilliseconds: Int
    public var statementTimeoutMilliseconds: Int
    public var embeddedDirectory: String
    public var migrateOnStart: Bool?
    public var sqlDirectory: String?
    /// Seconds between runs of the reminder jobs (idempotent per day); 0 turns the schedule off.
    public var noticeJobsIntervalSeconds: Int
    /// Seconds between delivery passes when nothing is due.
    public var noticeDeliveryIntervalSeconds: Double
    /// The SMTP server notices go to; nil: `serve` queues notices but sends none.
    public var smtp: SMTPConfiguration?
    /// Delivery workers (concurrent SMTP connections), batch size and claim lease.
    public var noticeWorkers: Int
    public var noticeBatchSize: Int
    public var noticeLeaseSeconds: Int

    public init(reader: ConfigReader) {
        host = reader.string(forKey: "http.host", default: "127.0.0.1")
        port = reader.int(forKey: "http.port", default: 8080)
        maxBodyBytes = reader.int(forKey: "http.maxBodyBytes", default: 64 * 1024)
        maxImportBytes = reader.int(forKey: "http.maxImportBytes", default: 256 * 1024 * 1024)
        maxConnections = reader.int(forKey: "http.maxConnections", default: 4_096)
        requestHeaderTimeoutSeconds = reader.double(forKey: "http.requestHeaderTimeoutSeconds", default: 10)
        requestBodyTimeoutSeconds = reader.double(forKey: "http.requestBodyTimeoutSeconds", default: 30)
        idleTimeoutSeconds = reader.double(forKey: "http.idleTimeoutSeconds", default: 60)
        corsAllowedOrigins = reader.string(forKey: "http.cors.allowedOrigins", default: "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0 != "*" }
        strictTransportSecurity = reader.string(forKey: "http.strictTransportSecurity")
        logLevel = Logger.Level(rawValue: reader.string(forKey: "log.level", default: "info")) ?? .info
        logFormat = reader.string(forKey: "log.format", default: "json")
        databaseURL = reader.string(forKey: "database.url", isSecret: true)
        databaseOwnerURL = reader.string(forKey: "database.ownerUrl", isSecret: true)
        databaseName = reader.string(forKey: "database.name", default: "patron_services")
        poolSize = reader.int(forKey: "database.pool.size", default: 2 * ProcessInfo.processInfo.activeProcessorCount + 2)
        poolMaxWaiting = reader.int(forKey: "database.pool.maxWaiting", default: 512)
        acquireTimeoutMilliseconds = reader.int(forKey: "database.pool.acquireTimeoutMs", default: 5_000)
        statementTimeoutMilliseconds = reader.int(forKey: "database.statementTimeoutMs", default: 15_000)
        embeddedDirectory = reader.string(forKey: "database.embedded.directory", default: ".data/postgres")
        migrateOnStart = reader.bool(forKey: "database.migrateOnStart")
        sqlDirectory = reader.string(forKey: "sql.directory")
        noticeJobsIntervalSeconds = reader.int(forKey: "notices.jobsIntervalSeconds", default: 3_600)
        noticeDeliveryIntervalSeconds = reader.double(forKey: "notices.deliveryIntervalSeconds", default: 5)
        noticeWorkers = reader.int(forKey: "notices.workers", default: 2)
        noticeBatchSize = reader.int(forKey: "notices.batchSize", default: 100)
        noticeLeaseSeconds = reader.int(forKey: "notices.leaseSeconds", default: 300)
        smtp = reader.string(forKey: "smtp.host").map { host in
            SMTPConfiguration(
                host: host, port: reader.int(forKey: "smtp.port", default: 25),
                security: SMTPConfiguration.Security(rawValue: reader.string(forKey: "smtp.security", default: "none")) ?? .starttls,
                username: reader.string(forKey: "smtp.username"), password: reader.string(forKey: "smtp.password", isSecret: true),
                caFile: reader.string(forKey: "smtp.caFile"),
                from: reader.string(forKey: "smtp.from", default: "notices@localhost"), messageIDDomain: reader.string(forKey: "smtp.messageIdDomain"),
                timeoutSeconds: reader.int(forKey: "smtp.timeoutSeconds", default: 60))
        }
    }

    /// True when libpq's own environment names a server (so nothing embedded is started).
    public static var libpqEnvironmentConfigured: Bool {
        let environment = ProcessInfo.processInfo.environment
        return ["PGHOST", "PGHOSTADDR", "PGDATABASE", "PGSERVICE"].contains { environment[$0] != nil }
    }

    /// The delivery worker's settings, when an SMTP server is configured.
    public var noticeDelivery: NoticeDelivery.Configuration? {
        smtp.map { NoticeDelivery.Configuration(smtp: $0, batchSize: noticeBatchSize, leaseSeconds: noticeLeaseSeconds, workers: noticeWorkers) }
    }

    /// The pool as the service ships it: `poolSize` connections, `poolMaxWaiting` callers waiting at most
    /// `acquireTimeoutMilliseconds` (the benchmarks build their references with it too).
    public func poolConfiguration(_ connection: PostgresConfiguration) -> PostgresPool.Configuration {
        PostgresPool.Configuration(
            connection: connection, maxConnections: poolSize, acquireTimeout: .milliseconds(acquireTimeoutMilliseconds),
            maxWaiters: poolMaxWaiting)
    }
}
