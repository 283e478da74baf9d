import Foundation
import Logging

/// Applies the SQL files of a folder to a database.
///
/// - `migrations/NNNN_name.sql` are append-only: each is applied once, in name order, in its own
///   transaction, and its checksum recorded; if an applied file later changes, migration refuses to run.
/// - `repeatable/*.sql` (views, functions) are re-applied, in name order after the migrations, whenever
///   their checksum changes; they must therefore be written to be re-runnable (`create or replace`).
///
/// A session-level advisory lock makes a second migrator wait for the first, then find nothing to do.
public struct Migrator: Sendable {
    public struct Script: Sendable, Hashable {
        public enum Kind: String, Sendable { case migration, repeatable }
        public var kind: Kind
        public var name: String
        public var sql: String
        public var checksum: String { String(EmbeddedPostgres.fnv1a(sql), radix: 16) }

        public init(kind: Kind, name: String, sql: String) {
            self.kind = kind
            self.name = name
            self.sql = sql
        }
    }

    public let scripts: [Script]
    let logger: Logger
    static let lockKey: Int64 = 0x7061_7472_6f6e  // "patron"

    /// Reads the scripts under `directory` (`migrations/` and `repeatable/`).
    public init(directory: String, logger: Logger = Logger(label: "migrate")) throws {
        func load(_ folder: String, _ kind: Script.Kind) throws -> [Script] {
            let path = directory + "/" + folder
            guard FileManager.default.fileExists(atPath: path) else { return [] }
            return try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".sql") }.sorted()
                .map { Script(kind: kind, name: $0, sql: try String(contentsOfFile: path + "/" + $0, encoding: .utf8)) }
        }
        let scripts = try load("migrations", .migration) + load("repeatable", .repeatable)
        guard !scripts.isEmpty else { throw MigrationError(name: directory, reason: "no SQL scripts found") }
        self.init(scripts: scripts, logger: logger)
    }

    public init(scripts: [Script], logger: Logger = Logger(label: "migrate")) {
        self.scripts = scripts
        self.logger = logger
    }

    /// One checksum over every script, to tell whether a database built from them is current.
    public var combinedChecksum: String {
        String(EmbeddedPostgres.fnv1a(scripts.map { "\($0.kind.rawValue)/\($0.name):\($0.checksum)" }.joined(separator: "\n")), radix: 16)
    }

    /// Applies what is pending; returns the names applied.
    @discardableResult
    public func migrate(_ configuration: PostgresConfiguration) async throws -> [String] {
        try await PostgresConnection.with(configuration, logger: logger) { try await migrate(on: $0) }
    }

    /// Applies what is pending on `connection`, holding the migration lock meanwhile.
    public func migrate(on connection: PostgresConnection) async throws -> [String] {
        try await connection.execute("select pg_advisory_lock(\(Self.lockKey))")
        do {
            let applied = try await applyPending(on: connection)
            try await connection.execute("select pg_advisory_unlock(\(Self.lockKey))")
            return applied
        } catch {
            _ = try? await connection.execute("rollback")
            _ = try? await connection.execute("select pg_advisory_unlock(\(Self.lockKey))")
            throw error
        }
    }

    private func applyPending(on connection: PostgresConnection) async throws -> [String] {
        try await connection.execute(
            """
            create table if not exists public.schema_migrations (
                kind text not null check (kind in ('migration', 'repeatable')),
                name text not null,
                checksum text not null,
                applied_at timestamptz not null default now(),
                primary key (kind, name)
            );
            comment on table public.schema_migrations is 'SQL scripts applied by patron-services migrate, with checksums.';
            """)
        var recorded: [String: String] = [:]
        for row in try await connection.query("select kind, name, checksum from public.schema_migrations") {
            recorded["\(try row.decode("kind", as: String.self))/\(try row.decode("name", as: String.self))"] =
                try row.decode("checksum", as: String.self)
        }
        // Refuse before applying anything if history was rewritten.
        for script in scripts where script.kind == .migration {
            if let checksum = recorded["migration/\(script.name)"], checksum != script.checksum {
                throw MigrationError(name: script.name, reason: "was changed after it was applied (migrations are append-only)")
            }
        }
        var applied: [String] = []
        for script in scripts where recorded["\(script.kind.rawValue)/\(script.name)"] != script.checksum {
            logger.info("applying \(script.kind.rawValue) \(script.name)")
            do {
                try await connection.execute("begin")
                try await connection.execute(script.sql)
                try await connection.query(
                    """
                    insert into public.schema_migrations (kind, name, checksum) values (\(script.kind.rawValue), \(script.name), \(script.checksum))
                    on conflict (kind, name) do update set checksum = excluded.checksum, applied_at = now()
                    """)
                try await connection.execute("commit")
            } catch {
                throw MigrationError(name: script.name, reason: String(reflecting: error))
            }
            applied.append(script.name)
        }
        return applied
    }
}

/// A script could not be applied, or the recorded history does not match the files.
public struct MigrationError: Error, CustomStringConvertible {
    public var name: String
    public var reason: String
    public var description: String { "migration \(name): \(reason)" }
}
