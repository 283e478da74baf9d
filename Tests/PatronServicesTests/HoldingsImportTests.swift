import Foundation
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@Suite("Onboarding imports: holdings from MARC 21 and CSV")
struct HoldingsImportTests {
    struct Summary: Decodable {
        struct Reject: Decodable { var row: Int; var field: String; var code: String }
        var rows: Int
        var accepted: Int
        var rejected: Int
        var rejects: [Reject]
    }

    static let xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <collection xmlns="http://www.loc.gov/MARC21/slim">
          <record>
            <datafield tag="245" ind1="1" ind2="0"><subfield code="a">The analytical engine :</subfield><subfield code="b">a history /</subfield></datafield>
            <datafield tag="852" ind1=" " ind2=" "><subfield code="b">MAIN</subfield></datafield>
            <datafield tag="876" ind1=" " ind2=" "><subfield code="p">HOLD-0001</subfield><subfield code="c">$25.00</subfield></datafield>
            <datafield tag="876" ind1=" " ind2=" "><subfield code="p">HOLD-0002</subfield></datafield>
          </record>
          <record>
            <datafield tag="245" ind1="0" ind2="0"><subfield code="a">Priced in words</subfield></datafield>
            <datafield tag="852" ind1=" " ind2=" "><subfield code="b">MAIN</subfield></datafield>
            <datafield tag="876" ind1=" " ind2=" "><subfield code="p">HOLD-0003</subfield><subfield code="c">twenty dollars</subfield></datafield>
          </record>
          <record>
            <datafield tag="245" ind1="0" ind2="0"><subfield code="a">Shelved nowhere</subfield></datafield>
            <datafield tag="852" ind1=" " ind2=" "><subfield code="b">ATTIC</subfield></datafield>
            <datafield tag="876" ind1=" " ind2=" "><subfield code="p">HOLD-0004</subfield><subfield code="c">USD 12</subfield></datafield>
          </record>
        </collection>
        """

    /// The same three records in ISO 2709.
    static func iso2709() -> Data {
        func record(_ fields: [(String, [(Character, String)])]) -> [UInt8] {
            var directory: [UInt8] = [], body: [UInt8] = []
            for (tag, subfields) in fields {
                var field: [UInt8] = Array("  ".utf8)
                for (code, value) in subfields { field += [0x1F] + Array(String(code).utf8) + Array(value.utf8) }
                field.append(0x1E)
                directory += Array((tag + String(format: "%04d%05d", field.count, body.count)).utf8)
                body += field
            }
            directory.append(0x1E)
            let base = 24 + directory.count
            let length = base + body.count + 1
            let leader = Array((String(format: "%05d", length) + "nx  a22" + String(format: "%05d", base) + "1n 4500").utf8)
            return leader + directory + body + [0x1D]
        }
        return Data(record([("245", [("a", "The analytical engine :"), ("b", "a history /")]), ("852", [("b", "MAIN")]),
                            ("876", [("p", "HOLD-0001"), ("c", "$25.00")]), ("876", [("p", "HOLD-0002")])])
            + record([("245", [("a", "Priced in words")]), ("852", [("b", "MAIN")]), ("876", [("p", "HOLD-0003"), ("c", "twenty dollars")])])
            + record([("245", [("a", "Shelved nowhere")]), ("852", [("b", "ATTIC")]), ("876", [("p", "HOLD-0004"), ("c", "USD 12")])]))
    }

    func run(_ f: DemoFixture, _ data: Data, dryRun: Bool = false) async throws -> Summary {
        let csv = try HoldingsFile.csv(data)
        return try await PostgresConnection.with(f.database.app) { connection in
            try await CSVImport(kind: .holdings, libraryCode: "RPL", dryRun: dryRun, fileName: "holdings", contents: csv,
                locations: ["MAIN": "RPL-MAIN"]).run(on: connection).decode(Summary.self)
        }
    }

    @Test("items come from 876 ‡p barcodes with the 876 ‡c cost in minor units (an unparseable cost is a reject, an absent one an uncosted item), 852 ‡b mapped to a branch, 245 for the title — MARCXML and ISO 2709 alike")
    func marcHoldings() async throws {
        for (format, data) in [("MARCXML", Data(Self.xml.utf8)), ("ISO 2709", Self.iso2709())] {
            let f = try await DemoFixture.make()
            let dry = try await run(f, data, dryRun: true)
            #expect(dry.rows == 4, "\(format)")
            #expect(dry.rejects.map { "\($0.row):\($0.field):\($0.code)" } == ["2:cost:invalid", "3:location:unmapped_location"], "\(format): rejects name the record")
            #expect(try await f.adminScalar("select count(*) from ps.item", as: Int.self) == 0, "a dry run applies nothing")
            let applied = try await run(f, data)
            #expect(applied.accepted == 2)
            let items = try await f.asAdmin { c async throws in
                try await c.query("select barcode, title, coalesce(cost_minor::text, 'uncosted'), b.code from ps.item i join ps.branch b using (branch_id) order by barcode")
                    .map { [try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(String.self, at: 2), try $0.decode(String.self, at: 3)] }
            }
            #expect(items == [["HOLD-0001", "The analytical engine : a history", "2500", "RPL-MAIN"],
                              ["HOLD-0002", "The analytical engine : a history", "uncosted", "RPL-MAIN"]], "\(format)")
            let updated = try await f.adminScalar("select max(updated_at)::text from ps.item", as: String.self)
            _ = try await run(f, data)
            #expect(try await f.adminScalar("select max(updated_at)::text from ps.item", as: String.self) == updated, "a second run changes nothing")
        }
    }

    @Test("costs written 25.00, $25.00, USD 25, 25 USD or 25,5 become minor units of the library's currency, with its digits; another currency's, or anything else, cannot be read")
    func costs() async throws {
        let f = try await DemoFixture.make()
        func parsed(_ currency: String, _ costs: [String]) async throws -> String {
            try await f.adminScalar("""
                select string_agg(coalesce(ps.parse_cost_minor(x, \(currency))::text, 'null')
                                  || case when ps.cost_names_other_currency(x, \(currency)) then '!' else '' end, ',' order by n)
                from unnest(\(costs)::text[]) with ordinality as t (x, n)
                """, as: String.self)
        }
        #expect(try await parsed("USD", ["25.00", "$25.00", "USD 25", "25 USD", "25,5", "0.99", "twenty", "25.001", "-5"])
            == "2500,2500,2500,2500,2550,99,null,null,null")
        // Another currency is refused, never relabelled (! marks the reject's currency_mismatch).
        #expect(try await parsed("USD", ["€3", "EUR 25", "25 CAD", "£12", "¥2500"]) == "null!,null!,null!,null!,null!")
        #expect(try await parsed("EUR", ["€3", "3,50 EUR", "$3"]) == "300,350,null!")
        // The yen has no minor digits, the Bahraini dinar three.
        #expect(try await parsed("JPY", ["¥2500", "2500", "JPY 2500", "25.00"]) == "2500,2500,2500,null")
        #expect(try await parsed("BHD", ["1.250", "BHD 2", "1.2"]) == "1250,2000,1200")
        #expect(try await f.adminScalar(
            "select ps.format_money(1250, 'USD') || '|' || ps.format_money(1250, 'JPY') || '|' || ps.format_money(1250, 'BHD') || '|' || ps.format_money(-5, 'EUR')",
            as: String.self) == "12.50 USD|1250 JPY|1.250 BHD|-0.05 EUR")
    }

    @Test("a holdings CSV names the branch itself; another library's item barcode, and a cost in another currency, are rejects")
    func csvHoldings() async throws {
        let f = try await DemoFixture.make()
        try await f.asAdmin { c async throws in
            try await c.query("insert into ps.item (institution_id, branch_id, barcode) values (\(f.institutions["LDL"]!), \(f.branches["LDL-HARBOR"]!), 'LDL-1')")
        }
        let csv = "barcode,title,branch,cost\nCSV-1,One,RPL-MAIN,10.00\nLDL-1,Theirs,RPL-MAIN,\nCSV-3,Three,NOWHERE,\nCSV-4,Four,RPL-MAIN,EUR 25\n"
        let summary = try await run(f, Data(csv.utf8))
        #expect(summary.rejects.map { "\($0.row):\($0.field):\($0.code)" } == ["2:barcode:item_taken", "3:branch:not_found", "4:cost:currency_mismatch"],
            "a cost in another currency than the library's (USD) is refused, not relabelled")
        #expect(try await f.adminScalar("select cost_minor from ps.item where barcode = 'CSV-1'", as: Int.self) == 1000)
        #expect(try await f.adminScalar("select title from ps.item where barcode = 'LDL-1'", as: String.self) == "", "another library's item is untouched")
    }
}
