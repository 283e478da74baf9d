import Logging
import Postgres

/// Creates the roles and the database on a cluster where we are superuser (the embedded one, or a
/// DBA's session), then migrates as the owner.
public struct DatabaseBootstrap: Sendable {
    public let superuser: PostgresConfiguration
    public let logger: Logger

    public init(superuser: PostgresConfiguration, logger: Logger = Logger(label: "bootstrap")) {
        self.superuser = superuser
        self.logger = logger
    }

    /// Creates `patron_owner`, `patron_app` and `patron_report` if missing. The app and report roles get
    /// no ownership and no BYPASSRLS.
    public func ensureRoles() async throws {
        try await withSuperuser { connection in
            try await connection.execute(
                """
                do $$
                begin
                    if not exists (select from pg_roles where rolname = '\(DatabaseRoles.owner)') then
                        create role \(DatabaseRoles.owner) login nosuperuser nocreaterole nobypassrls;
                    end if;
                    if not exists (select from pg_roles where rolname = '\(DatabaseRoles.app)') then
                        create role \(DatabaseRoles.app) login nosuperuser nocreatedb nocreaterole nobypassrls noinherit;
                    end if;
                    if not exists (select from pg_roles where rolname = '\(DatabaseRoles.report)') then
                        create role \(DatabaseRoles.report) login nosuperuser nocreatedb nocreaterole nobypassrls noinherit;
                    end if;
                end $$;
                """)
        }
    }

    /// Creates `database` owned by `patron_owner` unless it exists.
    public func ensureDatabase(_ database: String, template: String? = nil) async throws {
        try await withSuperuser { connection in
            let exists = try await connection.query("select 1 from pg_database where datname = \(database)")
            guard exists.isEmpty else { return }
            let name = try await connection.quoteIdentifier(database)
            var sql = "create database \(name) owner \(DatabaseRoles.owner)"
            if let template { sql += " template " + (try await connection.quoteIdentifier(template)) }
            try await connection.execute(sql)
            try await connection.execute("revoke all on database \(name) from public")
            try await connection.execute("grant connect on database \(name) to \(DatabaseRoles.app), \(DatabaseRoles.report)")
        }
    }

    /// Roles, database, then every pending migration as the owner.
    @discardableResult
    public func prepare(database: String, sqlDirectory: String) async throws -> [String] {
        try await ensureRoles()
        try await ensureDatabase(database)
        let migrator = try Migrator(directory: sqlDirectory, logger: logger)
        return try await migrator.migrate(superuser.user(DatabaseRoles.owner).database(database))
    }

    func withSuperuser<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await PostgresConnection.with(superuser, logger: logger, body)
    }
}
