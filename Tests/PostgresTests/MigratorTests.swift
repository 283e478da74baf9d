import Foundation
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@Suite("Migrations: append-only, checksummed, repeatable scripts, one migrator at a time")
struct MigratorTests {
    func scripts(_ create: String = "create table m1 (id int);", view: String = "create or replace view v as select 1 as one;") -> [Migrator.Script] {
        [
            .init(kind: .migration, name: "0001_first.sql", sql: create),
            .init(kind: .migration, name: "0002_second.sql", sql: "create table m2 (id int);"),
            .init(kind: .repeatable, name: "views.sql", sql: view),
        ]
    }

    @Test("pending scripts are applied once, in order, and recorded with their checksums")
    func appliesOnce() async throws {
        try await withFreshConnection { connection, database async throws in
            try await connection.execute("create schema scratch; set search_path to scratch")
            let migrator = Migrator(scripts: scripts())
            #expect(try await migrator.migrate(on: connection) == ["0001_first.sql", "0002_second.sql", "views.sql"])
            #expect(try await migrator.migrate(on: connection) == [])
            let recorded = try await connection.query("select count(*) from public.schema_migrations where name in ('0001_first.sql','0002_second.sql','views.sql')").scalar(Int.self)
            #expect(recorded == 3)
        }
    }

    @Test("a changed migration that was already applied is refused, and nothing is applied")
    func refusesChangedMigration() async throws {
        try await withFreshConnection { connection, _ async throws in
            try await connection.execute("create schema scratch; set search_path to scratch")
            _ = try await Migrator(scripts: scripts()).migrate(on: connection)
            await #expect(throws: MigrationError.self) {
                _ = try await Migrator(scripts: scripts("create table m1 (id int, extra text);")).migrate(on: connection)
            }
        }
    }

    @Test("a repeatable script is re-applied when its checksum changes")
    func repeatableReapplied() async throws {
        try await withFreshConnection { connection, _ async throws in
            try await connection.execute("create schema scratch; set search_path to scratch")
            _ = try await Migrator(scripts: scripts()).migrate(on: connection)
            let applied = try await Migrator(scripts: scripts(view: "create or replace view v as select 2 as one;")).migrate(on: connection)
            #expect(applied == ["views.sql"])
            #expect(try await connection.query("select one from v").scalar(Int.self) == 2)
        }
    }

    @Test("a failing migration leaves nothing half-applied")
    func failingMigrationRollsBack() async throws {
        try await withFreshConnection { connection, _ async throws in
            try await connection.execute("create schema scratch; set search_path to scratch")
            let broken = [Migrator.Script(kind: .migration, name: "0001_broken.sql", sql: "create table half (id int); select 1/0;")]
            await #expect(throws: MigrationError.self) { _ = try await Migrator(scripts: broken).migrate(on: connection) }
            #expect(try await connection.query("select to_regclass('scratch.half') is null").scalar(Bool.self))
            #expect(try await connection.query("select count(*) from public.schema_migrations where name = '0001_broken.sql'").scalar(Int.self) == 0)
        }
    }

    @Test("two migrators at once: the advisory lock makes one wait, and each script is applied exactly once")
    func concurrentMigrators() async throws {
        let database = try await TestDatabase.create()
        let slow = [Migrator.Script(kind: .migration, name: "0001_slow.sql", sql: "create table scratch_slow (id int); select pg_sleep(0.5);")]
        async let first = Migrator(scripts: slow).migrate(database.superuser)
        async let second = Migrator(scripts: slow).migrate(database.superuser)
        let results = try await [first, second]
        #expect(results.map(\.count).sorted() == [0, 1])
    }

    @Test("the service role owns nothing and cannot bypass row-level security")
    func serviceRoleIsUnprivileged() async throws {
        try await withFreshConnection { connection, _ async throws in
            let role = try await connection.query(
                "select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles where rolname = \(DatabaseRoles.app)"
            ).single()
            #expect(try role.decode("rolsuper", as: Bool.self) == false)
            #expect(try role.decode("rolbypassrls", as: Bool.self) == false)
            #expect(try role.decode("rolcreaterole", as: Bool.self) == false)
            #expect(try role.decode("rolcreatedb", as: Bool.self) == false)
            let owned = try await connection.query(
                "select count(*) from pg_class c join pg_roles r on r.oid = c.relowner where r.rolname = \(DatabaseRoles.app)"
            ).scalar(Int.self)
            #expect(owned == 0)
            let ownedFunctions = try await connection.query(
                "select count(*) from pg_proc p join pg_roles r on r.oid = p.proowner where r.rolname = \(DatabaseRoles.app)"
            ).scalar(Int.self)
            #expect(ownedFunctions == 0)
        }
    }
}
