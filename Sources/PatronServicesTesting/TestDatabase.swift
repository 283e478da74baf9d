import Foundation
import Logging
import PatronServices
import Postgres

/// Fresh databases for tests, cloned from a migrated template on the embedded test cluster.
///
/// The template is named after the checksum of every SQL script, so editing a script builds a new
/// template once and every later clone (a file copy inside PostgreSQL) takes a fraction of a second.
public enum TestDatabase {
    /// The repository's root, found from this file's path.
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// A throwaway cluster: durability is traded for speed (the suite creates a database per test).
    public static let cluster = EmbeddedPostgres(
        baseDirectory: repositoryRoot + "/.data/test-postgres", port: 55431,
        serverSettings: ["fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"],
        logger: Logger(label: "test-cluster"))

    public static var sqlDirectory: String { repositoryRoot + "/sql" }

    private static let template = TemplateBuilder()

    /// Creates an empty, migrated database and returns connection settings for the service role and the owner.
    public static func create() async throws -> Database {
        let templateName = try await template.ensure()
        let name = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        let bootstrap = DatabaseBootstrap(superuser: cluster.configuration(), logger: Logger(label: "test-db"))
        await creations.enter()
        do {
            try await bootstrap.ensureDatabase(String(name), template: templateName)
        } catch {
            await creations.leave()
            throw error
        }
        await creations.leave()
        return Database(name: String(name))
    }

    /// At most four databases are cloned at once: the whole suite starting together (about 300 tests)
    /// made the cluster so slow to accept connections that some timed out.
    private static let creations = CreationGate(slots: 4)

    /// One test database.
    public struct Database: Sendable {
        public let name: String
        /// As the service role (`patron_app`): what the application uses.
        public var app: PostgresConfiguration { TestDatabase.cluster.configuration(user: DatabaseRoles.app, database: name) }
        /// As the owner (`patron_owner`): for arranging fixtures that bypass the API.
        public var owner: PostgresConfiguration { TestDatabase.cluster.configuration(user: DatabaseRoles.owner, database: name) }
        /// As the superuser.
        public var superuser: PostgresConfiguration { TestDatabase.cluster.configuration(database: name) }
        /// libpq conninfo for the service role, as `database.url` takes it.
        public var appURL: String {
            "host=\(TestDatabase.cluster.socketDirectory) port=\(TestDatabase.cluster.port) user=\(DatabaseRoles.app) dbname=\(name)"
        }
        public var ownerURL: String {
            "host=\(TestDatabase.cluster.socketDirectory) port=\(TestDatabase.cluster.port) user=\(DatabaseRoles.owner) dbname=\(name)"
        }

        /// Drops the database (tests that care call it; the rest are swept at the next run's start).
        public func drop() async throws {
            let connection = try await PostgresConnection.connect(TestDatabase.cluster.configuration())
            try await connection.execute("drop database if exists \(name) with (force)")
            await connection.close()
        }
    }
}

/// Builds the template database once per process (and once per SQL checksum across processes).
///
/// One task builds it and every caller awaits that task. Each caller running the build itself (the
/// actor lets a caller in while another is suspended) parked one dispatch thread per test in
/// `pg_advisory_lock` while the first built the template: with 255 tests starting at once, the dispatch
/// pool had no thread left for the builder's own next statement, and the run hung.
actor TemplateBuilder {
    private var building: Task<String, any Error>?

    func ensure() async throws -> String {
        if let building, let name = try? await building.value { return name }
        let task = Task { try await Self.build() }
        building = task
        return try await task.value
    }

    private static func build() async throws -> String {
        let cluster = TestDatabase.cluster
        try cluster.start()
        let migrator = try Migrator(directory: TestDatabase.sqlDirectory, logger: Logger(label: "test-migrate"))
        let templateName = "template_" + migrator.combinedChecksum
        let bootstrap = DatabaseBootstrap(superuser: cluster.configuration(), logger: Logger(label: "test-db"))
        try await bootstrap.ensureRoles()
        let admin = try await PostgresConnection.connect(cluster.configuration())
        // Serialises template building between test processes.
        try await admin.execute("select pg_advisory_lock(4242)")
        if try await admin.query("select 1 from pg_database where datname = \(templateName)").isEmpty {
            let building = templateName + "_building"
            try await admin.execute("drop database if exists \(building)")
            try await bootstrap.ensureDatabase(building)
            try await migrator.migrate(cluster.configuration(user: DatabaseRoles.owner, database: building))
            try await admin.execute("alter database \(building) rename to \(templateName)")
            // Sweep databases of earlier runs.
            for row in try await admin.query("select datname from pg_database where datname like 'test\\_%' or (datname like 'template\\_%' and datname <> \(templateName))") {
                let stale = try row.decode("datname", as: String.self)
                _ = try? await admin.execute("drop database if exists \(stale) with (force)")
            }
        }
        try await admin.execute("select pg_advisory_unlock(4242)")
        await admin.close()
        return templateName
    }
}

/// A counting gate for async callers: `enter` waits while every slot is taken, `leave` frees one.
actor CreationGate {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(slots: Int) { free = slots }

    func enter() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
