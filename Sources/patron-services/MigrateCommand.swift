import ArgumentParser
import Logging
import PatronServices
import PatronServicesHTTP
import Postgres

/// Applies pending migrations: on the configured server as its owner role, or on the embedded cluster
/// (creating its roles and database first).
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply pending SQL migrations.")
    @OptionGroup var options: ConfigOptions
    @Option(help: "Folder with migrations/ and the rule layer (layers.txt).") var sql: String?

    func run() async throws {
        let configuration = AppConfiguration(reader: try await options.reader())
        let logger = Logger(label: "migrate")
        let directory = try SQLDirectory.locate(explicit: sql ?? configuration.sqlDirectory)
        var embeddedConfiguration = configuration
        embeddedConfiguration.migrateOnStart = false
        let database = try await DatabaseProvider.resolve(embeddedConfiguration, logger: logger)
        let applied: [String]
        if let cluster = database.embedded {
            applied = try await DatabaseBootstrap(superuser: cluster.configuration(), logger: logger)
                .prepare(database: configuration.databaseName, sqlDirectory: directory)
        } else {
            applied = try await Migrator(directory: directory, logger: logger).migrate(database.owner)
        }
        if let cluster = database.embedded, database.startedEmbedded { try cluster.stop() }
        print(applied.isEmpty ? "nothing to apply" : "applied: " + applied.joined(separator: ", "))
    }
}
