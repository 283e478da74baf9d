import Foundation
import PatronServicesTesting
import Postgres
import Testing

@Suite("Server errors carry their SQLSTATE and keep values out of the safe description")
struct ErrorTests {
    @Test("unique violation maps to 23505 with the constraint name")
    func uniqueViolation() async throws {
        try await withFreshConnection { connection, _ async throws in
            try await connection.execute("create table t (id int primary key, secret text)")
            try await connection.query("insert into t values (1, 'a')")
            let error = await expectPostgresError { try await connection.query("insert into t values (1, \("hunter2"))") }
            #expect(error?.sqlState == .uniqueViolation)
            #expect(error?.constraint == "t_pkey")
            #expect(error?.description.contains("hunter2") == false)
            #expect(error?.description.contains("23505") == true)
            #expect(error?.debugDescription.contains("insert into t") == true)
        }
    }

    @Test("an error raised inside a PL/pgSQL function names the function in its context, shown in debugDescription only")
    func plpgsqlContext() async throws {
        try await withFreshConnection { connection, _ async throws in
            try await connection.execute("""
                create function inner_rule(p int) returns int language plpgsql as $$
                begin
                    if p < 0 then raise exception using errcode = 'P0001', message = 'negative'; end if;
                    return p;
                end $$;
                create function outer_rule(p int) returns int language plpgsql as $$ begin return inner_rule(p); end $$;
                """)
            let error = await expectPostgresError { try await connection.query("select outer_rule(\(-1))") }
            #expect(error?.server.context?.contains("PL/pgSQL function inner_rule(integer)") == true)
            #expect(error?.server.context?.contains("outer_rule(integer)") == true)
            #expect(error?.server.severity == "ERROR")
            #expect(error?.debugDescription.contains("inner_rule") == true)
            #expect(error?.description.contains("inner_rule") == false)
        }
    }

    @Test("a text parameter holding NUL is refused before it is sent (libpq would cut it short), with SQLSTATE 22021")
    func nulParameterRefused() async throws {
        try await withFreshConnection { connection, _ async throws in
            let error = await expectPostgresError { try await connection.query("select \("a\u{0}b")::text") }
            #expect(error?.sqlState == SQLState("22021"))
            #expect(try await connection.query("select \("ab")::text").scalar(String.self) == "ab")
        }
    }

    @Test("check violation maps to 23514")
    func checkViolation() async throws {
        try await withFreshConnection { connection, _ async throws in
            try await connection.execute("create table t (amount int check (amount >= 0))")
            let error = await expectPostgresError { try await connection.query("insert into t values (\(-5))") }
            #expect(error?.sqlState == .checkViolation)
            #expect(error?.constraint == "t_amount_check")
        }
    }

    @Test("serialization failure maps to 40001 and is transient")
    func serializationFailure() async throws {
        try await withFreshConnection { first, database async throws in
            let second = try await PostgresConnection.connect(database.superuser)
            try await first.execute("create table t (id int primary key, n int); insert into t values (1, 0)")
            try await first.execute("begin isolation level serializable; select n from t where id = 1")
            try await second.execute("begin isolation level serializable; select n from t where id = 1")
            try await first.execute("update t set n = n + 1 where id = 1; commit")
            let error = await expectPostgresError { try await second.execute("update t set n = n + 1 where id = 1") }
            #expect(error?.sqlState == .serializationFailure)
            #expect(error?.sqlState?.isTransient == true)
            await second.close()
        }
    }

    @Test("a raised exception keeps its custom SQLSTATE, message, detail and hint")
    func raisedException() async throws {
        try await withFreshConnection { connection, _ async throws in
            let error = await expectPostgresError {
                try await connection.execute(
                    "do $$ begin raise exception using errcode = 'PS422', message = 'postal_code_not_found', detail = 'No such postal code.', hint = 'postalCode:not_found'; end $$")
            }
            #expect(error?.sqlState?.rawValue == "PS422")
            #expect(error?.message == "postal_code_not_found")
            #expect(error?.detail == "No such postal code.")
            #expect(error?.hint == "postalCode:not_found")
        }
    }

    @Test("connecting to a server that is not there fails with connectionFailed, and the PGconn is released")
    func connectFailure() async throws {
        let configuration = PostgresConfiguration(parameters: ["host": "/nonexistent-socket-dir", "port": "1", "dbname": "x"])
        let error = await expectPostgresError { _ = try await PostgresConnection.connect(configuration) }
        #expect(error?.kind == .connectionFailed)
    }

    @Test("a postgresql:// URL is expanded by libpq itself")
    func urlConfiguration() async throws {
        try await withFreshConnection { _, database async throws in
            let socket = database.superuser.parameters["host"]!.replacingOccurrences(of: "/", with: "%2F")
            let url = "postgresql://postgres@\(socket):\(database.superuser.parameters["port"]!)/\(database.name)"
            let connection = try await PostgresConnection.connect(PostgresConfiguration(connectionString: url))
            #expect(try await connection.query("select current_database()").scalar(String.self) == database.name)
            await connection.close()
        }
    }
}
