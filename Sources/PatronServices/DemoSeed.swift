import Foundation
import Postgres

/// Loads the demo consortium (`sql/demo/seed.sql`) and issues credentials for trying the API.
public struct DemoSeed: Sendable {
    /// What a newcomer needs to call the API.
    public struct Credentials: Sendable {
        public var consortiumAdminToken: String
        public var libraryAdminToken: String
        public var circulationStaffToken: String
        public var circulationSupervisorToken: String
        public var pacClientKey: String
        public var pacBranchName: String
        public var patronBarcode: String
        public var patronPIN: String
        /// With the showcase: a patron over the ADULT policy's limits (three items overdue, the limit two).
        public var overLimitBarcode: String?

        /// The credentials as one shell line (`export STAFF=… KEY=…`) the README tour starts from.
        public var shellExports: String {
            var line = "export ADMIN=\(consortiumAdminToken) LIBADMIN=\(libraryAdminToken) STAFF=\(circulationStaffToken)"
            line += " SUPERVISOR=\(circulationSupervisorToken) KEY=\(pacClientKey) BARCODE=\(patronBarcode) PIN=\(patronPIN)"
            if let overLimitBarcode { line += " OVERLIMIT=\(overLimitBarcode)" }
            return line
        }
    }

    public let owner: PostgresConfiguration
    public let sqlDirectory: String
    /// Also load `sql/demo/showcase.sql` into a new consortium: options on, items, loans, bills, a waiver,
    /// memberships, a suspension, a pending change request and a patron over the limits (`serve --demo`).
    /// The test fixture leaves it out: its tests start from the plain consortium.
    public let showcase: Bool

    public init(owner: PostgresConfiguration, sqlDirectory: String, showcase: Bool = false) {
        self.owner = owner
        self.sqlDirectory = sqlDirectory
        self.showcase = showcase
    }

    /// Seeds the consortium unless it already has libraries, then issues fresh demo credentials, revoking
    /// the ones an earlier run issued.
    public func run() async throws -> Credentials {
        try await PostgresConnection.with(owner) { try await seed($0) }
    }

    private func seed(_ connection: PostgresConnection) async throws -> Credentials {
        try await connection.execute("begin; select set_config('ps.role', 'consortium_admin', true)")
        if try await connection.query("select count(*) from ps.library").scalar(Int.self) == 0 {
            try await connection.execute(try String(contentsOfFile: sqlDirectory + "/demo/seed.sql", encoding: .utf8))
            if showcase {
                try await connection.execute(try String(contentsOfFile: sqlDirectory + "/demo/showcase.sql", encoding: .utf8))
            }
        }
        let library = try await connection.query("select institution_id from ps.library where code = 'RPL'").scalar(Int64.self)
        // Each run's credentials replace the last run's: restarting `serve --demo` never piles up valid tokens.
        try await connection.execute("""
            update ps.staff_token set revoked_at = now() where created_by = 'seed' and label = 'demo' and revoked_at is null;
            update ps.pac_client set revoked_at = now() where created_by = 'seed' and label = 'demo' and revoked_at is null
            """)
        func token(_ role: String, _ institution: Int64?) async throws -> String {
            try await connection.query("select token from ps.create_staff_token(\(role), \(institution), 'demo', now() + interval '30 days', 'seed')")
                .scalar(String.self)
        }
        let admin = try await token("consortium_admin", nil)
        let libraryAdmin = try await token("library_admin", library)
        let circulation = try await token("circulation_staff", library)
        let supervisor = try await token("circulation_supervisor", library)
        let branch = try await connection.query("select branch_id, name from ps.branch where code = 'RPL-MAIN'").single()
        let key = try await connection.query(
            "select client_key from ps.create_pac_client(\(try branch.decode("branch_id", as: Int64.self)), 'demo', 'seed', null)"
        ).scalar(String.self)
        let barcode = try await connection.query(
            "select barcode from ps.patron where institution_id = \(library) order by patron_id limit 1").scalar(String.self)
        let overLimit = try await connection.query("""
            select p.barcode from ps.patron p join ps.loan l using (patron_id)
            where p.institution_id = \(library) and l.state = 'active' and l.due_at < now()
            group by p.barcode having count(*) >= 3 order by p.barcode limit 1
            """).first.map { try $0.decode(String.self, at: 0) }
        try await connection.execute("commit")
        return Credentials(
            consortiumAdminToken: admin, libraryAdminToken: libraryAdmin, circulationStaffToken: circulation,
            circulationSupervisorToken: supervisor, pacClientKey: key, pacBranchName: try branch.decode("name", as: String.self),
            patronBarcode: barcode, patronPIN: "1234", overLimitBarcode: overLimit)
    }
}
