import Foundation
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@Suite("Onboarding imports: the patron type translation table and the patron file")
struct ImportTests {
    struct Summary: Decodable {
        struct Reject: Decodable, Equatable { var row: Int; var field: String; var code: String; var message: String }
        var rows: Int
        var accepted: Int
        var rejected: Int
        var dryRun: Bool
        var rejects: [Reject]
    }

    func run(_ f: DemoFixture, _ kind: CSVImport.Kind, _ csv: String, dryRun: Bool = false) async throws -> Summary {
        try await PostgresConnection.with(f.database.app) { connection in
            try await CSVImport(kind: kind, libraryCode: "RPL", dryRun: dryRun, fileName: "test.csv", contents: csv)
                .run(on: connection).decode(Summary.self)
        }
    }

    static let translation = "local_code,patron_type\nADL,ADULT\nKID,juvenile\nVIS,VISITOR\n"

    @Test("During the migration process … the patron types you listed on your translation table are added: local codes map to patron types, new ones are created")
    func translationTable() async throws {
        let f = try await DemoFixture.make()
        let summary = try await run(f, .patronTypes, Self.translation + ",ADULT\nBAD,no/slash\n")
        #expect(summary.rows == 5 && summary.accepted == 3 && summary.rejected == 2)
        #expect(summary.rejects.map { [$0.row, $0.field, $0.code] as [AnyHashable] } == [[4, "localCode", "required"], [5, "patronType", "invalid"]])
        let mapped = try await f.adminScalar("""
            select string_agg(tr.local_code || '=' || t.code, ',' order by tr.local_code) from ps.patron_type_translation tr
            join ps.patron_type t using (patron_type_id) where tr.institution_id = \(f.institutions["RPL"]!)
            """, as: String.self)
        #expect(mapped == "ADL=ADULT,KID=JUVENILE,VIS=VISITOR")
    }

    @Test("a patron file: every row checked with the API's rules, an unmapped patron type code rejects the row, a dry run applies nothing, a second run changes nothing")
    func patronFile() async throws {
        let f = try await DemoFixture.make()
        _ = try await run(f, .patronTypes, Self.translation)
        let elsewhere = try await f.adminScalar("select barcode from ps.patron where institution_id = \(f.institutions["LDL"]!) limit 1", as: String.self)
        let csv = """
            barcode,first_name,last_name,branch,patron_type,email,phone,postal_code,expiration_date,pin
            IMP-0001,Ada,Import,RPL-MAIN,ADL,ada@imp.example.org,312-555-0100,60601,2027-12-31,4321
            IMP-0002,Ben,Unmapped,RPL-MAIN,ZZZ,,,,,
            IMP-0003,Cy,Mail,RPL-MAIN,ADL,not-an-address,,,,
            IMP-0004,Di,Postal,RPL-MAIN,ADL,,,00000,,
            \(elsewhere),Ed,Elsewhere,RPL-MAIN,ADL,,,,,
            IMP-0006,Fi,Twice,RPL-MAIN,ADL,,,,,
            imp-0006,Gus,Twice,RPL-MAIN,KID,,,,,
            IMP-0008,Hal,Date,RPL-MAIN,ADL,,,,2027-02-30,
            IMP-0009,Ida,Branch,NOWHERE,ADL,,,,,
            IMP-0010,Jo,"Smith, Jr.",RPL-MAIN,KID,,,,,

            """
        let dry = try await run(f, .patrons, csv, dryRun: true)
        #expect(dry.dryRun && dry.rows == 10 && dry.accepted == 2 && dry.rejected == 8)
        #expect(dry.rejects.map { "\($0.row):\($0.field):\($0.code)" } == [
            "2:patronType:unmapped", "3:email:invalid_email", "4:postalCode:postal_code_not_found", "5:barcode:taken",
            "6:barcode:duplicate_in_file", "7:barcode:duplicate_in_file", "8:expirationDate:invalid", "9:branch:not_found",
        ])
        #expect(dry.rejects.first?.message == "The local patron type code is not in the translation table.")
        #expect(try await f.adminScalar("select count(*) from ps.patron where barcode ilike 'IMP-%'", as: Int.self) == 0, "a dry run applies nothing")

        let applied = try await run(f, .patrons, csv)
        #expect(applied.accepted == 2 && applied.rejected == 8 && !applied.dryRun)
        let row = try await f.asAdmin { c async throws in
            try await c.query("""
                select t.code, p.last_name, p.pin_hash like '$2%' as hashed, p.expiration_date::text as expires, p.updated_at::text as updated
                from ps.patron p join ps.patron_type t using (patron_type_id) where p.barcode = 'IMP-0001'
                """).single()
        }
        #expect(try row.decode("code", as: String.self) == "ADULT")
        #expect(try row.decode("hashed", as: Bool.self), "the PIN is hashed on the way in")
        #expect(try row.decode("expires", as: String.self) == "2027-12-31")
        #expect(try await f.adminScalar("select last_name from ps.patron where barcode = 'IMP-0010'", as: String.self) == "Smith, Jr.")

        let again = try await run(f, .patrons, csv.replacingOccurrences(of: ",4321", with: ","))
        #expect(again.accepted == 2)
        #expect(try await f.adminScalar("select updated_at::text from ps.patron where barcode = 'IMP-0001'", as: String.self)
            == (try row.decode("updated", as: String.self)), "re-running the same file changes nothing")
        #expect(try await f.adminScalar("select count(*) from ps.patron where barcode ilike 'IMP-%'", as: Int.self) == 2)
        #expect(try await f.adminScalar("select count(*) from ps.import_job where kind = 'patrons'", as: Int.self) == 3)
        #expect(try await f.adminScalar("select count(*) from ps.import_reject r join ps.import_job j using (import_id) where j.kind = 'patrons'", as: Int.self) == 24)
    }

    @Test("re-importing: a changed PIN is applied, the same PIN changes nothing, a deleted patron's barcode is rejected rather than revived")
    func reimportPinsAndDeletedPatrons() async throws {
        let f = try await DemoFixture.make()
        _ = try await run(f, .patronTypes, Self.translation)
        let header = "barcode,first_name,last_name,branch,patron_type,pin\n"
        _ = try await run(f, .patrons, header + "IMP-0100,Kai,Pin,RPL-MAIN,ADL,1111\nIMP-0101,Lu,Gone,RPL-MAIN,ADL,\n")
        let hash = "select pin_hash from ps.patron where barcode = 'IMP-0100'"
        let first = try await f.adminScalar(PostgresQuery(unsafeSQL: hash), as: String.self)
        _ = try await run(f, .patrons, header + "IMP-0100,Kai,Pin,RPL-MAIN,ADL,1111\n")
        #expect(try await f.adminScalar(PostgresQuery(unsafeSQL: hash), as: String.self) == first, "the patron's own PIN: nothing rewritten")
        _ = try await run(f, .patrons, header + "IMP-0100,Kai,Pin,RPL-MAIN,ADL,2222\n")
        #expect(try await f.adminScalar("select crypt('2222', pin_hash) = pin_hash from ps.patron where barcode = 'IMP-0100'", as: Bool.self),
                "a different PIN in the file is the patron's PIN now")
        try await f.asAdmin { try await $0.execute("update ps.patron set deleted_at = now() where barcode = 'IMP-0101'") }
        let revived = try await run(f, .patrons, header + "IMP-0101,Lu,Back,RPL-MAIN,ADL,\n")
        #expect(revived.rejects.map { "\($0.row):\($0.field):\($0.code)" } == ["1:barcode:patron_deleted"])
        #expect(try await f.adminScalar("select last_name || (deleted_at is not null)::text from ps.patron where barcode = 'IMP-0101'", as: String.self)
                == "Gonetrue")
    }

    @Test("a file of 1,500 bad rows: all rejected in one pass, the job shows the first 1,000 rejects and says there are more, every reject stays queryable")
    func manyRejectsAreBounded() async throws {
        let f = try await DemoFixture.make()
        let rows = (1...1_500).map { "BAD-\($0),Row,\($0),RPL-MAIN,NOPE" }.joined(separator: "\n")
        let raw = try await PostgresConnection.with(f.database.app) { connection in
            try await CSVImport(kind: .patrons, libraryCode: "RPL", dryRun: false, fileName: "bad.csv",
                                contents: "barcode,first_name,last_name,branch,patron_type\n" + rows + "\n").run(on: connection).text
        }
        let summary = try JSONDecoder().decode(Summary.self, from: Data(raw.utf8))
        #expect(summary.rows == 1_500 && summary.rejected == 1_500 && summary.accepted == 0)
        #expect(summary.rejects.count == 1_000)
        #expect(raw.contains(#""rejectsTruncated": true"#))
        #expect(try await f.adminScalar("select count(*) from ps.import_reject", as: Int.self) == 1_500)
        #expect(try await f.adminScalar("select count(*) from ps.patron where barcode like 'BAD-%'", as: Int.self) == 0)
    }

    @Test("a file the import cannot read leaves nothing half-loaded: unknown columns are refused before anything is applied")
    func unknownColumnsRefused() async throws {
        let f = try await DemoFixture.make()
        await #expect(throws: CSVImport.Failure.self) {
            _ = try await run(f, .patrons, "barcode,first_name,shoe_size\nIMP-1,A,44\n")
        }
        await #expect(throws: CSVImport.Failure.self) {
            _ = try await run(f, .patronTypes, "")
        }
        #expect(try await f.adminScalar("select count(*) from ps.import_job", as: Int.self) == 0)
        #expect(try await f.adminScalar("select count(*) from ps.patron where barcode = 'IMP-1'", as: Int.self) == 0)
    }
}
