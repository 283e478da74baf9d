import Foundation
import PatronServicesTesting
import Postgres
import Testing

/// The SQL tree has one current definition per rule: a reader who finds a rule has found the only one.
@Suite("SQL layout: one definition per rule, tables-only migrations, landed migrations unchanged")
struct SQLLayoutTests {
    /// `kind:name` of every object a layer file defines (functions and views by name, triggers and
    /// policies by table and name), with the files defining it.
    static func layerDefinitions() throws -> [String: [String]] {
        let migrator = try Migrator(directory: TestDatabase.sqlDirectory)
        var definitions: [String: [String]] = [:]
        for script in migrator.scripts where script.kind == .layer {
            for key in SQLDefinitions.keys(in: script.sql) { definitions[key, default: []].append(script.name) }
        }
        return definitions
    }

    @Test("no object of schema ps is defined in more than one file")
    func definedOnce() throws {
        let twice = try Self.layerDefinitions().filter { $0.value.count > 1 }
        #expect(twice.isEmpty, "defined more than once: \(twice)")
    }

    @Test("migrations hold no function, view, trigger or policy")
    func migrationsHoldTablesOnly() throws {
        let migrator = try Migrator(directory: TestDatabase.sqlDirectory)
        for script in migrator.scripts where script.kind == .migration {
            #expect(SQLDefinitions.keys(in: script.sql).isEmpty, "\(script.name) defines rules")
        }
    }

    @Test("every function, view, trigger and policy in the database has the one file that defines it, and every file's object exists")
    func databaseMatchesFiles() async throws {
        let files = Set(try Self.layerDefinitions().keys)
        let database = try await TestDatabase.create()
        let inDatabase = try await PostgresConnection.with(database.superuser) { connection in
            try await connection.query("""
                select 'function:' || p.proname as key from pg_proc p where p.pronamespace = 'ps'::regnamespace
                union all select 'view:' || c.relname from pg_class c where c.relnamespace = 'ps'::regnamespace and c.relkind in ('v', 'm')
                union all select 'trigger:' || c.relname || '.' || t.tgname from pg_trigger t join pg_class c on c.oid = t.tgrelid
                    where not t.tgisinternal and c.relnamespace = 'ps'::regnamespace
                union all select 'policy:' || c.relname || '.' || p.polname from pg_policy p join pg_class c on c.oid = p.polrelid
                    where c.relnamespace = 'ps'::regnamespace
                """).map { try $0.decode("key", as: String.self) }
        }
        #expect(inDatabase.count == Set(inDatabase).count, "overloaded functions: one name, one function")
        #expect(Set(inDatabase).subtracting(files).sorted() == [], "in the database without a file")
        #expect(files.subtracting(inDatabase).sorted() == [], "in a file but not in the database")
    }

    @Test("every table of schema ps has row-level security enabled and forced")
    func rowSecurityEverywhere() async throws {
        let database = try await TestDatabase.create()
        let loose = try await PostgresConnection.with(database.superuser) { connection in
            try await connection.query("""
                select coalesce(array_agg(relname::text order by relname), '{}') from pg_class
                where relnamespace = 'ps'::regnamespace and relkind = 'r' and not (relrowsecurity and relforcerowsecurity)
                """).scalar([String].self)
        }
        #expect(loose == [])
    }

    /// Each migration lands with its own `NNNN_name.sql.sha256` beside it, written once and never edited:
    /// a shared manifest would be edited every time a migration is added.
    @Test("a landed migration is never edited: each file matches the SHA-256 recorded beside it (NNNN_name.sql.sha256), and every file is recorded")
    func landedMigrationsUnchanged() async throws {
        let directory = TestDatabase.sqlDirectory + "/migrations"
        let entries = try FileManager.default.contentsOfDirectory(atPath: directory)
        let landed = try entries.filter { $0.hasSuffix(".sha256") }.flatMap { sums in
            try String(contentsOfFile: directory + "/" + sums, encoding: .utf8).split(separator: "\n")
        }.reduce(into: [String: String]()) { sums, line in
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count == 2 { sums[String(parts[1])] = String(parts[0]) }
        }
        let files = entries.filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files == landed.keys.sorted(), "every migration has its SHA-256 recorded (a new one lands with its NNNN_name.sql.sha256)")
        let database = try await TestDatabase.create()
        try await PostgresConnection.with(database.superuser) { connection in
            for file in files {
                let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
                let sum = try await connection.query("select encode(sha256(convert_to(\(text), 'UTF8')), 'hex')").scalar(String.self)
                #expect(sum == landed[file], "\(file) was edited after it landed: add a new migration instead")
            }
        }
    }

    @Test("the README's Layout section names every folder of the rule layer")
    func readmeNamesEveryFolder() throws {
        let readme = try String(contentsOfFile: TestDatabase.repositoryRoot + "/README.md", encoding: .utf8)
        let layout = readme.components(separatedBy: "## Layout").dropFirst().first?.components(separatedBy: "\n## ").first ?? ""
        let folders = Set(try Migrator(directory: TestDatabase.sqlDirectory).scripts.filter { $0.kind == .layer }
            .compactMap { $0.name.split(separator: "/").first.map(String.init) })
        for folder in folders.sorted() { #expect(layout.contains("sql/\(folder)/"), "README Layout does not mention sql/\(folder)/") }
    }
}

/// Finds the objects a SQL text defines, by the statement that creates them.
enum SQLDefinitions {
    static func keys(in sql: String) -> [String] {
        let text = sql.split(separator: "\n").map { line in line.range(of: "--").map { String(line[..<$0.lowerBound]) } ?? String(line) }
            .joined(separator: "\n").lowercased()
        let patterns: [(String, (Substring, Substring?) -> String)] = [
            (#"create\s+(?:or\s+replace\s+)?(?:function|procedure)\s+ps\.(\w+)"#, { name, _ in "function:\(name)" }),
            (#"create\s+(?:or\s+replace\s+)?(?:materialized\s+)?view\s+ps\.(\w+)"#, { name, _ in "view:\(name)" }),
            (#"create\s+(?:or\s+replace\s+)?(?:constraint\s+)?trigger\s+(\w+)[\s\S]*?\son\s+ps\.(\w+)"#, { name, table in "trigger:\(table!).\(name)" }),
            (#"create\s+policy\s+(\w+)\s+on\s+ps\.(\w+)"#, { name, table in "policy:\(table!).\(name)" }),
        ]
        var keys: [String] = []
        for (pattern, key) in patterns {
            let regex = try! Regex(pattern)
            for match in text.matches(of: regex) {
                let first = match.output[1].substring!
                let second = match.output.count > 2 ? match.output[2].substring : nil
                keys.append(key(first, second))
            }
        }
        return keys
    }
}
