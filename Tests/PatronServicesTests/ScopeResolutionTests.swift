import PatronServicesTesting
import Postgres
import Testing

@Suite("Scope resolution in SQL: PAC branch, policy institution, inherited settings")
struct ScopeResolutionTests {
    @Test("If the patron is signed in, the system uses the setting for the patron's registered branch")
    func signedInUsesRegisteredBranch() async throws {
        let fixture = try await DemoFixture.make()
        let (patron, registered) = try await fixture.asAdmin { connection async throws in
            let row = try await connection.query(
                "select patron_id, registered_branch_id from ps.patron where registered_branch_id <> \(fixture.branches["RPL-MAIN"]!) limit 1").single()
            return (try row.decode("patron_id", as: Int64.self), try row.decode("registered_branch_id", as: Int64.self))
        }
        try await fixture.asService(institution: "RPL") { connection async throws in
            let row = try await connection.query("select * from ps.pac_scope(\(fixture.branches["RPL-MAIN"]!), \(patron))").single()
            #expect(try row.decode("branch_id", as: Int64.self) == registered)
            #expect(try row.decode("reason", as: String.self) == "registered_branch")
        }
    }

    @Test("If the patron is not signed in, the system uses the setting for the connection branch")
    func anonymousUsesConnectionBranch() async throws {
        let fixture = try await DemoFixture.make()
        try await fixture.asService(institution: "RPL") { connection async throws in
            let row = try await connection.query("select * from ps.pac_scope(\(fixture.branches["RPL-EAST"]!), \(Int64?.none))").single()
            #expect(try row.decode("branch_id", as: Int64.self) == fixture.branches["RPL-EAST"]!)
            #expect(try row.decode("reason", as: String.self) == "connection_branch")
        }
    }

    func homeInstitutionPatron(_ fixture: DemoFixture, _ code: String) async throws -> Int64 {
        try await fixture.asAdmin { connection async throws in
            try await connection.query(
                "select patron_id from ps.patron where institution_id = \(fixture.institutions[code]!) order by patron_id limit 1"
            ).scalar(Int64.self)
        }
    }

    @Test("Patron Type Policy is controlled by the patron's home institution — at home, and inside a circulation group")
    func policyScopeHomeInstitution() async throws {
        let fixture = try await DemoFixture.make()
        let patron = try await homeInstitutionPatron(fixture, "RPL")
        try await fixture.asService(institution: "LDL", role: "circulation_staff") { connection async throws in
            let home = try await connection.query("select * from ps.policy_scope(\(patron), \(fixture.branches["RPL-EAST"]!))").single()
            #expect(try home.decode("institution_id", as: Int64.self) == fixture.institutions["RPL"]!)
            #expect(try home.decode("reason", as: String.self) == "home_institution")
            let away = try await connection.query("select * from ps.policy_scope(\(patron), \(fixture.branches["LDL-HARBOR"]!))").single()
            #expect(try away.decode("institution_id", as: Int64.self) == fixture.institutions["RPL"]!)
            #expect(try away.decode("transaction_institution_id", as: Int64.self) == fixture.institutions["LDL"]!)
            #expect(try away.decode("reason", as: String.self) == "home_institution_in_circulation_group")
        }
    }

    @Test("outside every shared circulation group the transaction is refused with a clear reason")
    func policyScopeOutsideGroup() async throws {
        let fixture = try await DemoFixture.make()
        let patron = try await homeInstitutionPatron(fixture, "RPL")
        try await fixture.asService(institution: "MVL", role: "circulation_staff") { connection async throws in
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query("select * from ps.policy_scope(\(patron), \(fixture.branches["MVL-CENTRAL"]!))")
            }
            #expect(error?.sqlState?.rawValue == "PS403")
            #expect(error?.message == "outside_circulation_group")
        }
    }

    func defineSettings(_ fixture: DemoFixture) async throws {
        try await fixture.asAdmin { connection async throws in
            try await connection.execute("""
                insert into ps.setting_definition (name, value_type, system_only, default_value, description) values
                    ('test.flag', 'boolean', false, 'false', 'a test flag'),
                    ('test.system_only', 'boolean', true, 'false', 'a system-only test flag')
                """)
        }
    }

    @Test("a setting is inherited from system to library to branch unless overridden, with the level and organisation it came from")
    func settingInheritance() async throws {
        let fixture = try await DemoFixture.make()
        try await defineSettings(fixture)
        let rpl = fixture.institutions["RPL"]!
        let main = fixture.branches["RPL-MAIN"]!, east = fixture.branches["RPL-EAST"]!
        func resolve(_ connection: PostgresConnection, _ branch: Int64) async throws -> (Bool, String, Int64?, Int64?) {
            let row = try await connection.query("select * from ps.resolve_setting(\(branch), 'test.flag')").single()
            return (try row.decode("value", as: PostgresJSON.self).text == "true", try row.decode("level"), try row.decode("institution_id"), try row.decode("branch_id"))
        }
        try await fixture.asAdmin { connection async throws in
            let initial = try await resolve(connection, main)
            #expect(initial.0 == false && initial.1 == "default")
            try await connection.query("select ps.save_setting('test.flag', 'system', null, null, 'true')")
            let system = try await resolve(connection, main)
            #expect(system.0 == true && system.1 == "system" && system.2 == nil)
            try await connection.query("select ps.save_setting('test.flag', 'library', \(rpl), null, 'false')")
            let library = try await resolve(connection, main)
            #expect(library.0 == false && library.1 == "library" && library.2 == rpl)
            try await connection.query("select ps.save_setting('test.flag', 'branch', \(rpl), \(main), 'true')")
            let branch = try await resolve(connection, main)
            #expect(branch.0 == true && branch.1 == "branch" && branch.3 == main)
            // A sibling branch still inherits from the library.
            let sibling = try await resolve(connection, east)
            #expect(sibling.0 == false && sibling.1 == "library")
            // Clearing the branch value lets the library's apply again.
            try await connection.query("select ps.save_setting('test.flag', 'branch', \(rpl), \(main), null)")
            #expect(try await resolve(connection, main).1 == "library")
            // Every change was recorded with old and new values.
            let changes = try await connection.query("select count(*) from ps.setting_change where name = 'test.flag'").scalar(Int.self)
            #expect(changes == 4)
        }
    }

    @Test("a system-level-only setting is refused at library and branch level")
    func systemOnlySetting() async throws {
        let fixture = try await DemoFixture.make()
        try await defineSettings(fixture)
        try await fixture.asAdmin { connection async throws in
            try await connection.query("select ps.save_setting('test.system_only', 'system', null, null, 'true')")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query(
                    "select ps.save_setting('test.system_only', 'library', \(fixture.institutions["RPL"]!), null, 'false')")
            }
            #expect(error?.message == "system_level_only")
        }
    }
}
