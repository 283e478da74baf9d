import PatronServicesTesting
import Postgres
import Testing

@Suite("Staff token authentication in SQL")
struct AuthenticationTests {
    @Test("using a token records its last use, and never waits for another request that is recording it")
    func lastUseWithoutLockConvoy() async throws {
        let fixture = try await DemoFixture.make()
        let token = fixture.tokens["RPL/circulation_staff"]!
        let tokenID = try await fixture.adminScalar("update ps.staff_token set last_used_at = null where token_hash = ps.sha256(\(token)) returning token_id", as: Int64.self)
        // Another request holds the token row, as one recording the last use would; waiting for it
        // would hit the lock timeout below (55P03), as it did before the row was skipped.
        let holder = try await PostgresConnection.connect(fixture.database.superuser)
        try await holder.execute("begin")
        try await holder.query("select 1 from ps.staff_token where token_id = \(tokenID) for update")
        let app = try await PostgresConnection.connect(fixture.database.app)
        try await app.execute("set lock_timeout = '2s'")
        let role = try await app.query("select role from ps.authenticate_staff(\(token), null)").scalar(String.self)
        #expect(role == "circulation_staff", "authenticated without waiting for the row lock")
        try await holder.execute("rollback")
        await holder.close()
        _ = try await app.query("select role from ps.authenticate_staff(\(token), null)")
        await app.close()
        let recorded = try await fixture.adminScalar("select last_used_at is not null from ps.staff_token where token_id = \(tokenID)", as: Bool.self)
        #expect(recorded, "the next request, finding the row free, records the use")
    }

    @Test("a staff request hashes its token once, however many tokens the consortium has")
    func tokenHashedOnce() async throws {
        let fixture = try await DemoFixture.make()
        let token = fixture.tokens["RPL/circulation_staff"]!
        try await fixture.asAdmin {
            try await $0.execute("""
                insert into ps.staff_token (institution_id, role, label, token_hash, created_by)
                select null, 'consortium_admin', 'extra ' || g, ps.sha256('extra-' || g), 'test' from generate_series(1, 60) g
                """)
        }
        // The plan the planner picks while the table is small: a sequential scan. A hash written into
        // its condition ran for every token read, once PL/pgSQL had moved to its generic plan (from the
        // sixth call of a session): 315 hashes for these ten calls.
        let connection = try await PostgresConnection.connect(fixture.database.superuser)
        try await connection.execute("""
            begin; set local track_functions = 'all'; set local enable_indexscan = off; set local enable_indexonlyscan = off;
            set local enable_bitmapscan = off
            """)
        for _ in 0..<10 {
            let role = try await connection.query("select role from ps.authenticate_staff(\(token), null)").scalar(String.self)
            #expect(role == "circulation_staff")
        }
        // pgcrypto's digest() is what ps.sha256 runs.
        let hashes = try await connection.query(
            "select coalesce(sum(calls), 0)::bigint from pg_stat_xact_user_functions where funcname = 'digest'"
        ).scalar(Int64.self)
        try await connection.execute("rollback")
        await connection.close()
        #expect(hashes == 10, "one hash for each of the ten authentications")
    }
}
