import ArgumentParser
import Foundation
import Logging
import NIOPosix
import PatronServices
import PatronServicesHTTP
import Postgres

/// `notices run` queues the reminders due (as `serve` does on its schedule); `notices deliver` sends
/// everything due and exits. Both act consortium-wide as the system and are safe to run beside `serve`.
struct NoticesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notices", abstract: "Run the reminder jobs or deliver queued notices.",
        subcommands: [NoticesRunCommand.self, NoticesDeliverCommand.self])
}

/// The service role's pool on the configured (or embedded) database, for a command's lifetime.
struct CommandPool {
    let pool: PostgresPool
    let provider: DatabaseProvider
    let settings: AppConfiguration

    static func open(_ options: ConfigOptions, logger: Logger) async throws -> CommandPool {
        let settings = AppConfiguration(reader: try await options.reader())
        let provider = try await DatabaseProvider.resolve(settings, logger: logger)
        let pool = PostgresPool(configuration: .init(connection: provider.app, maxConnections: max(settings.noticeWorkers, 1) + 1), logger: logger)
        return CommandPool(pool: pool, provider: provider, settings: settings)
    }

    func close() async {
        await pool.close()
        if let cluster = provider.embedded, provider.startedEmbedded { try? cluster.stop() }
    }
}

struct NoticesRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Queue the reminders due on a day (almost overdue, expiration, inactive, bills, memberships).")
    @OptionGroup var options: ConfigOptions
    @Option(help: "The day to run for, YYYY-MM-DD (default: today in the consortium's time zone).") var date: String?
    @Flag(name: [.customShort("n"), .long], help: "Report what would be queued, and queue nothing.") var dryRun = false

    func run() async throws {
        let day: CivilDate? = try date.map { text in
            guard let day = CivilDate(parsing: text), (1900...2999).contains(day.year) else {
                throw ValidationError("--date: expected a date that exists, YYYY-MM-DD, years 1900–2999")
            }
            return day
        }
        let logger = Logger(label: "notices")
        let database = try await CommandPool.open(options, logger: logger)
        do {
            let summary = try await NoticeJobService(pool: database.pool, interval: .seconds(3_600), logger: logger).runOnce(date: day, dryRun: dryRun)
            print((dryRun ? "dry run, nothing queued: " : "") + summary.text)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }
}

struct NoticesDeliverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deliver", abstract: "Send every due e-mail and text notice, then exit.")
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let logger = Logger(label: "notices")
        let database = try await CommandPool.open(options, logger: logger)
        guard let configuration = database.settings.noticeDelivery else {
            await database.close()
            throw ValidationError("set smtp.host (SMTP_HOST) to deliver notices")
        }
        let threads = NIOThreadPool(numberOfThreads: configuration.workers)
        threads.start()
        do {
            let counts = try await NoticeDelivery(pool: database.pool, configuration: configuration, logger: logger, threads: threads)
                .drain(name: "deliver-\(ProcessInfo.processInfo.processIdentifier)")
            print("sent \(counts.sent), retrying \(counts.temporary), dead \(counts.permanent)")
        } catch {
            try? await threads.shutdownGracefully()
            await database.close()
            throw error
        }
        try? await threads.shutdownGracefully()
        await database.close()
    }
}
