import ArgumentParser
import Logging
import PatronServices
import PatronServicesHTTP
import Postgres

/// `patron-services report-login create`: a PostgreSQL login for a report writer or BI tool, bound to
/// one library.
struct ReportLoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report-login", abstract: "Create logins for report writers and BI tools, each bound to one library.",
        subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a read-only login that sees one library's rows and no secrets (password printed once).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "The library (institution id) the login reports on.") var institution: Int64
        @Option(help: "The login's name: lower-case letters, digits and _.") var name: String
        @Option(help: "libpq URL of a role that may create roles (CREATEROLE); not needed on the embedded cluster.")
        var adminURL: String?
        @Option(help: "Minutes a session of the login may stay idle inside a transaction before it is ended (1 to 1440).")
        var idleInTransactionMinutes: Int = 10

        func run() async throws {
            let logger = Logger(label: "report-login")
            let settings = AppConfiguration(reader: try await options.reader())
            let database = try await OwnerDatabase.open(options, logger: logger)
            defer { database.finish() }
            let admin: PostgresConfiguration
            if let adminURL {
                admin = PostgresConfiguration(connectionString: adminURL)
            } else if let cluster = database.provider.embedded {
                admin = cluster.configuration()
            } else {
                throw ValidationError("give --admin-url: a connection allowed to create roles")
            }
            let password = try await DatabaseBootstrap(superuser: admin, logger: logger)
                .createReportLogin(name: name, institution: institution, database: settings.databaseName,
                                   idleInTransactionMinutes: idleInTransactionMinutes)
            say("login \(name) for library \(institution), password: \(password)")
            say("it sees that library's rows of every report view and table, read-only, without PIN hashes;"
                + " a session idle inside a transaction for \(idleInTransactionMinutes) min is ended")
        }
    }
}
