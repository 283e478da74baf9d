import Foundation
import Logging

/// Applies a folder of SQL to a database: append-only migrations, then the rule layer.
///
/// - `migrations/NNNN_name.sql` hold tables, indexes, constraints and data changes. Each is applied
///   once, in name order, and its checksum recorded; if an applied file later changes, nothing runs.
/// - The rule layer (functions, views, triggers, row-level security policies of the schemas that
///   `layers.txt` names, in the folders it lists in order) is dropped before pending migrations and
///   applied again after them, and whenever any of its files changes. A changed function signature
///   therefore needs no hand-written `drop`, and migrations never see a half-current rule.
/// - Every table of a layer schema gets row-level security enabled and forced once the migrations
///   have run; while they run, the owner is not subject to its own (dropped) policies.
///
/// Everything pending runs in one transaction: a failing migration or layer file leaves the database
/// as it was. A session-level advisory lock makes a second migrator wait for the first, then find
/// nothing to do.
public struct Migrator: Sendable {
    public struct Script: Sendable, Hashable {
        public enum Kind: String, Sendable { case migration, layer }
        public var kind: Kind
        /// The file's name (`0001_x.sql`) for a migration, its path below the folder (`tenancy/x.sql`) for the layer.
        public var name: String
        public var sql: String
        public var checksum: String { String(EmbeddedPostgres.fnv1a(sql), radix: 16) }

        public init(kind: Kind, name: String, sql: String) {
            self.kind = kind
            self.name = name
            self.sql = sql
        }
    }

    /// Migrations in name order, then the layer in application order.
    public let scripts: [Script]
    /// The schemas whose functions, views, triggers and policies are the layer's.
    public let layerSchemas: [String]
    let logger: Logger
    static let lockKey: Int64 = 0x7061_7472_6f6e  // "patron"

    /// Reads `migrations/*.sql` and the layer that `layers.txt` describes under `directory`.
    public init(directory: String, logger: Logger = Logger(label: "migrate")) throws {
        let plan = try LayerPlan(directory: directory)
        let migrationsPath = directory + "/migrations"
        let migrations = try FileManager.default.contentsOfDirectory(atPath: migrationsPath).filter { $0.hasSuffix(".sql") }.sorted()
            .map { Script(kind: .migration, name: $0, sql: try String(contentsOfFile: migrationsPath + "/" + $0, encoding: .utf8)) }
        guard !migrations.isEmpty else { throw MigrationError(name: directory, reason: "no migrations found") }
        self.init(scripts: migrations + plan.scripts, layerSchemas: plan.schemas, logger: logger)
    }

    public init(scripts: [Script], layerSchemas: [String] = [], logger: Logger = Logger(label: "migrate")) {
        self.scripts = scripts.filter { $0.kind == .migration } + scripts.filter { $0.kind == .layer }
        self.layerSchemas = layerSchemas
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
                kind text not null check (kind in ('migration', 'layer')),
                name text not null,
                checksum text not null,
                applied_at timestamptz not null default now(),
                primary key (kind, name)
            );
            comment on table public.schema_migrations is 'SQL files applied by patron-services migrate, with checksums: each migration once, and the rule layer''s files as last applied.';
            """)
        var recorded: [String: String] = [:]
        for row in try await connection.query("select kind, name, checksum from public.schema_migrations") {
            recorded["\(try row.decode("kind", as: String.self))/\(try row.decode("name", as: String.self))"] =
                try row.decode("checksum", as: String.self)
        }
        let migrations = scripts.filter { $0.kind == .migration }
        let layer = scripts.filter { $0.kind == .layer }
        // Refuse before applying anything if history was rewritten.
        for script in migrations {
            if let checksum = recorded["migration/\(script.name)"], checksum != script.checksum {
                throw MigrationError(name: script.name, reason: "was changed after it was applied (migrations are append-only)")
            }
        }
        let pending = migrations.filter { recorded["migration/\($0.name)"] == nil }
        let recordedLayer = recorded.filter { $0.key.hasPrefix("layer/") }
        let currentLayer = Dictionary(uniqueKeysWithValues: layer.map { ("layer/\($0.name)", $0.checksum) })
        let layerChanged = recordedLayer != currentLayer
        guard !pending.isEmpty || layerChanged else { return [] }

        try await connection.execute("begin")
        let layerSQL = LayerSQL(schemas: layerSchemas)
        if !layerSchemas.isEmpty {
            try await run(layerSQL.dropLayer, as: "dropping the rule layer", on: connection)
            try await run(layerSQL.relaxRowSecurity, as: "relaxing row-level security for migrations", on: connection)
        }
        for script in pending {
            logger.info("applying migration \(script.name)")
            try await run(script.sql, as: script.name, on: connection)
            try await connection.query(
                "insert into public.schema_migrations (kind, name, checksum) values ('migration', \(script.name), \(script.checksum))")
        }
        if !layerSchemas.isEmpty {
            try await run(layerSQL.enforceRowSecurity, as: "enforcing row-level security", on: connection)
        }
        if !layer.isEmpty || !recordedLayer.isEmpty {
            logger.info("applying the rule layer (\(layer.count) files)")
            for script in layer { try await run(script.sql, as: script.name, on: connection) }
            try await connection.execute("delete from public.schema_migrations where kind = 'layer'")
            for script in layer {
                try await connection.query(
                    "insert into public.schema_migrations (kind, name, checksum) values ('layer', \(script.name), \(script.checksum))")
            }
        }
        try await connection.execute("commit")
        return pending.map(\.name) + layer.map(\.name)
    }

    private func run(_ sql: String, as name: String, on connection: PostgresConnection) async throws {
        do {
            try await connection.execute(sql)
        } catch {
            throw MigrationError(name: name, reason: String(reflecting: error))
        }
    }
}

/// A script could not be applied, or the recorded history does not match the files.
public struct MigrationError: Error, CustomStringConvertible {
    public var name: String
    public var reason: String
    public var description: String { "migration \(name): \(reason)" }
}
