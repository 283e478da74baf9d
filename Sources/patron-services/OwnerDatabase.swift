import Logging
import PatronServices
import PatronServicesHTTP
import Postgres

/// The owner's connection for administrative commands, on the configured server or the embedded
/// cluster (prepared and migrated first).
struct OwnerDatabase {
    let configuration: PostgresConfiguration
    let provider: DatabaseProvider

    static func open(_ options: ConfigOptions, logger: Logger) async throws -> OwnerDatabase {
        let settings = AppConfiguration(reader: try await options.reader())
        let provider = try await DatabaseProvider.resolve(settings, logger: logger)
        return OwnerDatabase(configuration: provider.owner, provider: provider)
    }

    func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration)
    }

    /// Stops the embedded cluster if this command started it.
    func finish() {
        if let cluster = provider.embedded, provider.startedEmbedded { try? cluster.stop() }
    }
}
