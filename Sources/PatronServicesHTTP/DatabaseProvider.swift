import Logging
import PatronServices
import Postgres

/// Decides where the database is: a configured server (`database.url` or libpq's `PG*` variables),
/// or, when none is configured, the embedded cluster under the working folder, started on demand,
/// with roles, database and migrations prepared.
public struct DatabaseProvider: Sendable {
    /// The service role's connection.
    public var app: PostgresConfiguration
    /// The owner's connection, for migrations.
    public var owner: PostgresConfiguration
    /// The embedded cluster, when one is used.
    public var embedded: EmbeddedPostgres?
    /// Whether this process started the embedded cluster (and so stops it on shutdown).
    public var startedEmbedded: Bool

    public static func resolve(_ configuration: AppConfiguration, logger: Logger) async throws -> DatabaseProvider {
        let statementTimeout = configuration.statementTimeoutMilliseconds
        if let url = configuration.databaseURL {
            var app = PostgresConfiguration(connectionString: url)
            app.statementTimeoutMilliseconds = statementTimeout
            let owner = configuration.databaseOwnerURL.map { PostgresConfiguration(connectionString: $0) } ?? app
            return DatabaseProvider(app: app, owner: owner, embedded: nil, startedEmbedded: false)
        }
        if AppConfiguration.libpqEnvironmentConfigured {
            let app = PostgresConfiguration(parameters: [:], statementTimeoutMilliseconds: statementTimeout)
            return DatabaseProvider(app: app, owner: app, embedded: nil, startedEmbedded: false)
        }
        let cluster = EmbeddedPostgres(baseDirectory: configuration.embeddedDirectory, logger: logger)
        let started = try cluster.start()
        let bootstrap = DatabaseBootstrap(superuser: cluster.configuration(), logger: logger)
        if configuration.migrateOnStart ?? true {
            try await bootstrap.prepare(
                database: configuration.databaseName, sqlDirectory: try SQLDirectory.locate(explicit: configuration.sqlDirectory))
        }
        var app = cluster.configuration(user: DatabaseRoles.app, database: configuration.databaseName)
        app.statementTimeoutMilliseconds = statementTimeout
        let owner = cluster.configuration(user: DatabaseRoles.owner, database: configuration.databaseName)
        return DatabaseProvider(app: app, owner: owner, embedded: cluster, startedEmbedded: started)
    }
}
