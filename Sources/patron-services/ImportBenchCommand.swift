import ArgumentParser
import Foundation
import Logging
import PatronServices
import Postgres

/// Generates a patron CSV and an ISO 2709 holdings file and imports them as `import patrons` and
/// `import holdings` do, beside `psql \copy` of the same CSV into a bare table of text columns in the
/// same run (the physical floor of loading the bytes). Prints rows/s and the ratio for each.
struct ImportBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Benchmark the patron and holdings imports against psql \\copy of the same CSV.")

    @Option(help: "Patron rows to generate.") var patrons: Int = 1_000_000
    @Option(help: "Holdings records (one item each) to generate.") var holdings: Int = 1_000_000
    @Option(help: "Embedded cluster folder.") var directory: String = ".data/bench-postgres"

    func run() async throws {
        guard (1...5_000_000).contains(patrons), (1...5_000_000).contains(holdings) else { throw ValidationError("1 to 5,000,000 rows") }
        guard let psql = ["/usr/bin/psql", "/usr/local/bin/psql"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw ValidationError("psql is the reference: apt-get install -y postgresql-client")
        }
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        say("load before: \(NoticesBenchCommand.loadAverage())")
        let cluster = EmbeddedPostgres(baseDirectory: directory, port: 55433, logger: logger)
        let started = try cluster.start()
        defer { if started { try? cluster.stop() } }
        let database = "bench_import"
        _ = try await PostgresConnection.with(cluster.configuration()) { try await $0.execute("drop database if exists \(database) with (force)") }
        try await DatabaseBootstrap(superuser: cluster.configuration(), logger: logger)
            .prepare(database: database, sqlDirectory: try SQLDirectory.locate(explicit: nil))
        _ = try await PostgresConnection.with(cluster.configuration(user: DatabaseRoles.owner, database: database)) { c in
            try await c.execute("""
                begin; select set_config('ps.role', 'consortium_admin', true);
                insert into ps.library (code, name, currency, time_zone) values ('BENCH', 'Bench Library', 'USD', 'America/Chicago');
                insert into ps.branch (institution_id, code, name, time_zone) select institution_id, 'BENCH-MAIN', 'Main', 'America/Chicago' from ps.library;
                insert into ps.patron_type (institution_id, code, description) select institution_id, 'ADULT', 'Adult' from ps.library;
                insert into ps.patron_type_translation (institution_id, local_code, patron_type_id) select institution_id, 'ADL', patron_type_id from ps.patron_type;
                create table public.bare_patron (barcode text, first_name text, last_name text, branch text, patron_type text, email text,
                    phone text, expiration_date text);
                create table public.bare_holding (record text, barcode text, title text, location text, cost text);
                grant select on public.bare_patron to \(DatabaseRoles.app);
                commit
                """)
        }

        var patronCSV = "barcode,first_name,last_name,branch,patron_type,email,phone,expiration_date\n"
        patronCSV.reserveCapacity(patrons * 90)
        for n in 1...patrons {
            patronCSV += "BP\(Self.pad(n, 8)),Reader,Number \(n),BENCH-MAIN,ADL,reader\(n)@example.org,312-555-\(1000 + n % 9000),2028-06-30\n"
        }
        var mrc: [UInt8] = []
        mrc.reserveCapacity(holdings * 120)
        for n in 1...holdings { mrc += Self.record(barcode: "BH\(Self.pad(n, 8))", title: "Title \(n)", cost: n % 10 == 0 ? "" : "$\(n % 90 + 10).00") }
        let holdingCSV = try HoldingsFile.csv(Data(mrc))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try patronCSV.write(to: folder.appendingPathComponent("patrons.csv"), atomically: true, encoding: .utf8)
        try holdingCSV.write(to: folder.appendingPathComponent("holdings.csv"), atomically: true, encoding: .utf8)
        say("generated \(patrons) patrons (\(patronCSV.utf8.count / 1_000_000) MB CSV) and \(holdings) MARC records (\(mrc.count / 1_000_000) MB .mrc)")

        func copyReference(_ table: String, _ file: String) throws -> Double {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: psql)
            process.arguments = ["-h", URL(fileURLWithPath: directory).standardizedFileURL.path + "/run", "-p", "55433", "-U", DatabaseRoles.owner, "-d", database, "-q", "-v", "ON_ERROR_STOP=1",
                                 "-c", "\\copy public.\(table) from '\(folder.appendingPathComponent(file).path)' with (format csv, header true)"]
            let began = ContinuousClock.now
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw ValidationError("psql \\copy failed") }
            return (ContinuousClock.now - began).seconds
        }
        func importing(_ kind: CSVImport.Kind, _ contents: String) async throws -> (Double, PostgresJSON) {
            try await PostgresConnection.with(cluster.configuration(user: DatabaseRoles.app, database: database)) { c in
                let began = ContinuousClock.now
                let summary = try await CSVImport(kind: kind, libraryCode: "BENCH", dryRun: false, fileName: "bench", contents: contents,
                    locations: ["MAIN": "BENCH-MAIN"]).run(on: c)
                return ((ContinuousClock.now - began).seconds, summary)
            }
        }

        let patronCopy = try copyReference("bare_patron", "patrons.csv")
        let (patronImport, patronSummary) = try await importing(.patrons, patronCSV)
        // The table's own floor: the same rows, already loaded, inserted into ps.patron by the service role
        // with no checks at all (its indexes, foreign keys and row-level security still apply), rolled back.
        let patronFloor = try await PostgresConnection.with(cluster.configuration(user: DatabaseRoles.app, database: database)) { c in
            try await c.execute("begin; select set_config('ps.role', 'consortium_admin', true)")
            let began = ContinuousClock.now
            try await c.execute("""
                insert into ps.patron (institution_id, barcode, registered_branch_id, patron_type_id, first_name, last_name, email, phone1, expiration_date)
                select b.institution_id, 'F' || s.barcode, b.branch_id, t.patron_type_id, s.first_name, s.last_name, s.email, s.phone, s.expiration_date::date
                from public.bare_patron s join ps.branch b on b.code = s.branch join ps.patron_type t on t.institution_id = b.institution_id and t.code = 'ADULT'
                """)
            let seconds = (ContinuousClock.now - began).seconds
            try await c.execute("rollback")
            return seconds
        }
        let holdingCopy = try copyReference("bare_holding", "holdings.csv")
        let (holdingImport, holdingSummary) = try await importing(.holdings, holdingCSV)
        say("")
        say("                 psql \\copy (bare table)     import (stage, check, apply)     ratio")
        say(String(format: "patrons  %8d   %8.0f rows/s (%6.1f s)    %8.0f rows/s (%6.1f s)    %5.2f×", patrons, Double(patrons) / patronCopy, patronCopy,
            Double(patrons) / patronImport, patronImport, patronImport / patronCopy))
        say(String(format: "holdings %8d   %8.0f rows/s (%6.1f s)    %8.0f rows/s (%6.1f s)    %5.2f×  (the import also parses ISO 2709: not timed)",
            holdings, Double(holdings) / holdingCopy, holdingCopy, Double(holdings) / holdingImport, holdingImport, holdingImport / holdingCopy))
        say(String(format: "table floor: the same patrons inserted into ps.patron with no checks (indexes, foreign keys, row-level security): %.1f s = %.2f× of \\copy; the import is %.2f× of that floor",
            patronFloor, patronFloor / patronCopy, patronImport / patronFloor))
        say("goal: the patron import within 3× of \\copy")
        say("patron import: \(patronSummary.text.prefix(160))")
        say("holdings import: \(holdingSummary.text.prefix(160))")
        say("load after: \(NoticesBenchCommand.loadAverage())")
    }

    /// One ISO 2709 record: 245 ‡a, 852 ‡b MAIN, 876 ‡p and (when given) ‡c.
    static func record(barcode: String, title: String, cost: String) -> [UInt8] {
        var directory: [UInt8] = [], body: [UInt8] = []
        let fields: [(String, [(String, String)])] = [("245", [("a", title)]), ("852", [("b", "MAIN")]),
            ("876", [("p", barcode)] + (cost.isEmpty ? [] : [("c", cost)]))]
        for (tag, subfields) in fields {
            var field: [UInt8] = Array("  ".utf8)
            for (code, value) in subfields { field += [0x1F] + Array(code.utf8) + Array(value.utf8) }
            field.append(0x1E)
            directory += Array((tag + Self.pad(field.count, 4) + Self.pad(body.count, 5)).utf8)
            body += field
        }
        directory.append(0x1E)
        let base = 24 + directory.count
        return Array((pad(base + body.count + 1, 5) + "nx  a22" + pad(base, 5) + "1n 4500").utf8) + directory + body + [0x1D]
    }

    static func pad(_ n: Int, _ width: Int) -> String { String(repeating: "0", count: max(width - String(n).count, 0)) + String(n) }
}
