import Foundation
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@Suite("Migrations: append-only, checksummed; the rule layer dropped and re-applied; one migrator at a time")
struct MigratorTests {
    /// Two migrations and a layer over schema `scratch` (created by the first migration).
    func scripts(
        _ create: String = "create schema scratch; create table scratch.m1 (id int);",
        layer: String = "create function scratch.one() returns int language sql as $$ select 1 $$; create view scratch.v as select scratch.one() as one;"
    ) -> [Migrator.Script] {
        [
            .init(kind: .migration, name: "0001_first.sql", sql: create),
            .init(kind: .migration, name: "0002_second.sql", sql: "create table scratch.m2 (id int);"),
            .init(kind: .layer, name: "rules/one.sql", sql: layer),
        ]
    }

    func migrator(_ scripts: [Migrator.Script]) -> Migrator { Migrator(scripts: scripts, layerSchemas: ["scratch"]) }

    @Test("pending scripts are applied once, in order, and recorded with their checksums")
    func appliesOnce() async throws {
        try await withFreshConnection { connection, database async throws in
            let migrator = migrator(scripts())
            #expect(try await migrator.migrate(on: connection) == ["0001_first.sql", "0002_second.sql", "rules/one.sql"])
            #expect(try await migrator.migrate(on: connection) == [])
            let recorded = try await connection.query("select count(*) from public.schema_migrations where name in ('0001_first.sql','0002_second.sql','rules/one.sql')").scalar(Int.self)
            #expect(recorded == 3)
        }
    }

    @Test("a changed migration that was already applied is refused, and nothing is applied")
    func refusesChangedMigration() async throws {
        try await withFreshConnection { connection, _ async throws in
            _ = try await migrator(scripts()).migrate(on: connection)
            await #expect(throws: MigrationError.self) {
                _ = try await migrator(scripts("create schema scratch; create table scratch.m1 (id int, extra text);")).migrate(on: connection)
            }
        }
    }

    @Test("a changed layer file re-applies the whole layer")
    func layerReapplied() async throws {
        try await withFreshConnection { connection, _ async throws in
            _ = try await migrator(scripts()).migrate(on: connection)
            let changed = "create function scratch.one() returns int language sql as $$ select 2 $$; create view scratch.v as select scratch.one() as one;"
            let applied = try await migrator(scripts(layer: changed)).migrate(on: connection)
            #expect(applied == ["rules/one.sql"])
            #expect(try await connection.query("select one from scratch.v").scalar(Int.self) == 2)
        }
    }

    @Test("a changed function signature needs no hand-written drop: the old one is gone")
    func changedSignature() async throws {
        try await withFreshConnection { connection, _ async throws in
            _ = try await migrator(scripts()).migrate(on: connection)
            let changed = "create function scratch.one(p int default 3) returns int language sql as $$ select p $$; create view scratch.v as select scratch.one() as one;"
            _ = try await migrator(scripts(layer: changed)).migrate(on: connection)
            let signatures = try await connection.query(
                "select p.oid::regprocedure::text as signature from pg_proc p where p.pronamespace = 'scratch'::regnamespace")
            #expect(try signatures.map { try $0.decode("signature", as: String.self) } == ["scratch.one(integer)"])
        }
    }

    @Test("a pending migration runs with the layer dropped, and the layer comes back after it")
    func migrationSeesNoLayer() async throws {
        try await withFreshConnection { connection, _ async throws in
            _ = try await migrator(scripts()).migrate(on: connection)
            // The view depends on m1's schema; a migration may now change anything the layer uses.
            let third = Migrator.Script(kind: .migration, name: "0003_third.sql",
                sql: "do $$ begin if to_regclass('scratch.v') is not null then raise exception 'layer still there'; end if; end $$;")
            #expect(try await migrator(scripts() + [third]).migrate(on: connection) == ["0003_third.sql", "rules/one.sql"])
            #expect(try await connection.query("select one from scratch.v").scalar(Int.self) == 1)
        }
    }

    @Test("a failing layer file leaves the migrations and the previous layer as they were")
    func failingLayerRollsBack() async throws {
        try await withFreshConnection { connection, _ async throws in
            _ = try await migrator(scripts()).migrate(on: connection)
            let third = Migrator.Script(kind: .migration, name: "0003_third.sql", sql: "create table scratch.m3 (id int);")
            await #expect(throws: MigrationError.self) {
                _ = try await migrator(scripts(layer: "select 1/0;") + [third]).migrate(on: connection)
            }
            #expect(try await connection.query("select to_regclass('scratch.m3') is null").scalar(Bool.self))
            #expect(try await connection.query("select one from scratch.v").scalar(Int.self) == 1)
        }
    }

    @Test("a table constraint that uses a layer function is refused with the function named")
    func tableMustNotDependOnLayer() async throws {
        try await withFreshConnection { connection, _ async throws in
            _ = try await migrator(scripts()).migrate(on: connection)
            try await connection.execute("alter table scratch.m2 add constraint positive check (scratch.one() > 0)")
            let changed = "create function scratch.one() returns int language sql as $$ select 2 $$; create view scratch.v as select scratch.one() as one;"
            do {
                _ = try await migrator(scripts(layer: changed)).migrate(on: connection)
                Issue.record("expected the migrator to refuse")
            } catch let error as MigrationError {
                #expect(error.reason.contains("scratch.one()"))
            }
            #expect(try await connection.query("select count(*) from pg_constraint where conname = 'positive'").scalar(Int.self) == 1)
        }
    }

    @Test("every table of a layer schema ends with row-level security enabled and forced")
    func rowSecurityEnforced() async throws {
        try await withFreshConnection { connection, _ async throws in
            _ = try await migrator(scripts()).migrate(on: connection)
            let loose = try await connection.query(
                "select count(*) from pg_class where relnamespace = 'scratch'::regnamespace and relkind = 'r' and not (relrowsecurity and relforcerowsecurity)"
            ).scalar(Int.self)
            #expect(loose == 0)
        }
    }

    @Test("a failing migration leaves nothing half-applied")
    func failingMigrationRollsBack() async throws {
        try await withFreshConnection { connection, _ async throws in
            let broken = [Migrator.Script(kind: .migration, name: "0001_broken.sql", sql: "create table half (id int); select 1/0;")]
            await #expect(throws: MigrationError.self) { _ = try await Migrator(scripts: broken).migrate(on: connection) }
            #expect(try await connection.query("select to_regclass('public.half') is null").scalar(Bool.self))
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
