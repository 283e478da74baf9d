import Foundation
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
        _ = try await withSuperuser { connection in
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
                        create role \(DatabaseRoles.report) nologin nosuperuser nocreatedb nocreaterole nobypassrls noinherit;
                    end if;
                    -- Report writers log in as their own roles (createReportLogin), each bound to a library.
                    if exists (select from pg_roles where rolname = '\(DatabaseRoles.report)' and rolcanlogin) then
                        alter role \(DatabaseRoles.report) nologin;
                    end if;
                end $$;
                """)
        }
    }

    /// Creates `database` owned by `patron_owner` unless it exists, and keeps advisory locks to the
    /// service's roles in it (`restrictAdvisoryLocks`).
    public func ensureDatabase(_ database: String, template: String? = nil) async throws {
        try await createDatabase(database, template: template)
        try await restrictAdvisoryLocks(in: database)
    }

    /// The imports, patron sign-ins and currency changes wait on advisory locks (`ps.import:`,
    /// `ps.patron_sign_in:`, `ps.currency:` keys). PostgreSQL lets every role take any advisory lock, so a
    /// report login holding one in an open transaction would stall a library's imports, a patron's
    /// sign-in, or every bill of a library. Only the owner and the service may take them; unlocking stays
    /// open. Function privileges live in each database's catalog, so this runs per database, as a
    /// superuser (the functions' owner); it is idempotent.
    public static let restrictAdvisoryLocksSQL: String = {
        let functions = ["pg_advisory_lock", "pg_advisory_lock_shared", "pg_advisory_xact_lock", "pg_advisory_xact_lock_shared",
                         "pg_try_advisory_lock", "pg_try_advisory_lock_shared", "pg_try_advisory_xact_lock", "pg_try_advisory_xact_lock_shared"]
            .flatMap { ["\($0)(bigint)", "\($0)(integer, integer)"] }.joined(separator: ", ")
        return "revoke execute on function \(functions) from public; "
            + "grant execute on function \(functions) to \(DatabaseRoles.owner), \(DatabaseRoles.app)"
    }()

    /// Applies `restrictAdvisoryLocksSQL` in `database`.
    public func restrictAdvisoryLocks(in database: String) async throws {
        try await PostgresConnection.with(superuser.database(database), logger: logger) { connection in
            try await connection.execute(Self.restrictAdvisoryLocksSQL)
        }
    }

    private func createDatabase(_ database: String, template: String?) async throws {
        try await withSuperuser { connection in
            let exists = try await connection.query("select 1 from pg_database where datname = \(database)")
            guard exists.isEmpty else { return }
            let name = try await connection.quoteIdentifier(database)
            var sql = "create database \(name) owner \(DatabaseRoles.owner)"
            if let template { sql += " template " + (try await connection.quoteIdentifier(template)) }
            try await connection.execute(sql)
            try await connection.execute("revoke all on database \(name) from public")
            try await connection.execute("grant connect on database \(name) to \(DatabaseRoles.app), \(DatabaseRoles.report)")
            // Imports stage files in temporary tables (as migration 0011 grants on migrated databases;
            // a database cloned from a template does not inherit the template's grants).
            try await connection.execute("grant temporary on database \(name) to \(DatabaseRoles.app)")
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

    /// Creates a login for a report writer or BI tool that sees only `institution`'s rows: a role in
    /// `patron_report` (read-only, no secrets) recorded in `ps.report_login`. Returns its password, which
    /// is not stored anywhere else. Needs a superuser (or CREATEROLE) connection.
    ///
    /// A session of the login left idle inside a transaction is ended after `idleInTransactionMinutes`
    /// (1 to 1440; `idle_in_transaction_session_timeout` in this database): a BI tool's forgotten open
    /// transaction would otherwise hold back vacuum on the tables every checkout updates.
    public func createReportLogin(name: String, institution: Int64, database: String,
                                  idleInTransactionMinutes: Int = 10) async throws -> String {
        guard (1...1440).contains(idleInTransactionMinutes) else {
            throw ReportLoginError(reason: "the idle-in-transaction limit is 1 to 1440 minutes")
        }
        guard name.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil,
            ![DatabaseRoles.owner, DatabaseRoles.app, DatabaseRoles.report].contains(name)
        else {
            throw ReportLoginError(reason: "a login name is lower-case letters, digits and _, up to 63, and not a service role")
        }
        var generator = SystemRandomNumberGenerator()
        let password = (0..<3).map { _ in String(generator.next() as UInt64, radix: 16) }.joined()
        try await PostgresConnection.with(superuser.database(database), logger: logger) { connection in
            try await connection.execute("begin")
            do {
                let known = try await connection.query("select count(*) from ps.library where institution_id = \(institution)").scalar(Int.self)
                guard known == 1 else { throw ReportLoginError(reason: "no library \(institution)") }
                // Role names and passwords cannot be statement parameters: the name is checked above,
                // the password is hex.
                try await connection.execute("""
                    create role \(name) login password '\(password)' nosuperuser nocreatedb nocreaterole nobypassrls inherit
                    in role \(DatabaseRoles.report)
                    """)
                let quotedDatabase = try await connection.quoteIdentifier(database)
                try await connection.execute(
                    "alter role \(name) in database \(quotedDatabase) set idle_in_transaction_session_timeout = '\(idleInTransactionMinutes)min'")
                try await connection.query(
                    "insert into ps.report_login (role_name, institution_id, created_by) values (\(name), \(institution), 'cli')")
                try await connection.execute("commit")
            } catch {
                _ = try? await connection.execute("rollback")
                throw error
            }
        }
        return password
    }

    func withSuperuser<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await PostgresConnection.with(superuser, logger: logger, body)
    }
}

/// A report login could not be created.
public struct ReportLoginError: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { "report login: \(reason)" }
}
