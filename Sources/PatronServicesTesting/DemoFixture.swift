import Foundation
import PatronServices
import Postgres

/// A fresh database holding the demo consortium, with a token for every role at two institutions.
///
/// Riverside (RPL) and Lakeshore (LDL) share the Metro group; Lakeshore and Mountain View (MVL) the
/// Regional group; Riverside and Mountain View share none.
public struct DemoFixture: Sendable {
    public let database: TestDatabase.Database
    public let credentials: DemoSeed.Credentials
    /// institution ids by library code.
    public let institutions: [String: Int64]
    /// branch ids by branch code.
    public let branches: [String: Int64]
    /// tokens by "CODE/role" (and "consortium_admin").
    public let tokens: [String: String]

    /// - Parameter showcase: also load the demo's showcase (items, loans, bills, policies, change requests
    ///   at Riverside), for tests that need rows in every table.
    public static func make(showcase: Bool = false) async throws -> DemoFixture {
        let database = try await TestDatabase.create()
        let credentials = try await DemoSeed(owner: database.owner, sqlDirectory: TestDatabase.sqlDirectory, showcase: showcase).run()
        let owner = try await PostgresConnection.connect(database.owner)
        try await owner.execute("begin; select set_config('ps.role', 'consortium_admin', true)")
        var institutions: [String: Int64] = [:]
        for row in try await owner.query("select code, institution_id from ps.library") {
            institutions[try row.decode("code")] = try row.decode("institution_id")
        }
        var branches: [String: Int64] = [:]
        for row in try await owner.query("select code, branch_id from ps.branch") {
            branches[try row.decode("code")] = try row.decode("branch_id")
        }
        var tokens: [String: String] = ["consortium_admin": credentials.consortiumAdminToken]
        for (code, institution) in institutions {
            for role in ["library_admin", "circulation_supervisor", "circulation_staff", "report_reader"] {
                tokens["\(code)/\(role)"] = try await owner.query(
                    "select token from ps.create_staff_token(\(role), \(institution), 'test', null, 'test')").scalar(String.self)
            }
        }
        try await owner.execute("commit")
        await owner.close()
        return DemoFixture(database: database, credentials: credentials, institutions: institutions, branches: branches, tokens: tokens)
    }

    /// Runs `body` on a connection as the service role, acting as `role` of institution `code` (or with no
    /// identity at all when `code` is nil), inside a transaction that is rolled back afterwards.
    @discardableResult
    public func asService<T: Sendable>(
        institution code: String?, role: String = "library_admin", _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await PostgresConnection.connect(database.app)
        do {
            try await connection.execute("begin")
            if let code {
                try await connection.query(
                    "select set_config('ps.institution_id', \(String(institutions[code]!)), true), set_config('ps.role', \(role), true)")
            }
            let result = try await body(connection)
            try await connection.execute("rollback")
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// One value of `query`, run as the owner acting as consortium admin (committed).
    public func adminScalar<T: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: T.Type = T.self) async throws -> T {
        try await asAdmin { try await $0.query(query).scalar(T.self) }
    }

    /// Runs `body` as the owner acting as consortium admin, committed.
    @discardableResult
    public func asAdmin<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(database.owner)
        do {
            try await connection.execute("begin; select set_config('ps.role', 'consortium_admin', true)")
            let result = try await body(connection)
            try await connection.execute("commit")
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }
}
