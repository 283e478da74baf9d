import Configuration
import Foundation
import Postgres
import Testing

@testable import PatronServicesHTTP

/// The README's configuration table gives each key's environment variable; a system administrator
/// copies those names into a unit file or a compose file, where a wrong one is silently ignored.
@Suite("Configuration: the environment variables the README names")
struct ConfigurationEnvironmentTests {
    /// The table's rows: each key with the environment variable the README gives it.
    static func documentedVariables() throws -> [(key: String, variable: String)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let header = lines.firstIndex(of: "| key | environment variable | type | default | meaning |") else { return [] }
        let ticked = /`([^`]+)`/
        return lines[(header + 2)...].prefix { $0.hasPrefix("|") }.flatMap { row -> [(key: String, variable: String)] in
            let cells = row.split(separator: "|").map { String($0) }
            let keys = cells[0].matches(of: ticked).map { String($0.1) }, variables = cells[1].matches(of: ticked).map { String($0.1) }
            return zip(keys, variables).map { ($0, $1) }
        }
    }

    @Test("every key the service reads is in the README's table, with its environment variable")
    func everyKeyDocumented() throws {
        let documented = Set(try Self.documentedVariables().map(\.key))
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/PatronServicesHTTP/AppConfiguration.swift")
        let read = try String(contentsOf: source, encoding: .utf8).matches(of: /forKey: "([^"]+)"/).map { String($0.1) }
        #expect(read.count > 30, "the keys are read as forKey: \"…\" in AppConfiguration.swift")
        for key in read { #expect(documented.contains(key), "\(key) is read but not in the README's configuration table") }
    }

    @Test("each environment variable the README names reaches its key")
    func documentedNamesAreRead() throws {
        let rows = try Self.documentedVariables()
        #expect(rows.count > 30)
        for (key, variable) in rows {
            let reader = ConfigReader(provider: AppConfiguration.environmentProvider([variable: "7"]))
            #expect(reader.string(forKey: ConfigKey(key)) == "7", "\(variable) does not set \(key)")
        }
    }

    @Test("DATABASE_POOL_MAX_WAITING bounds the pool's queue, and a name without the word break is not read")
    func queueBoundFromEnvironment() {
        let set = AppConfiguration(reader: ConfigReader(provider: AppConfiguration.environmentProvider(["DATABASE_POOL_MAX_WAITING": "24"])))
        #expect(set.poolMaxWaiting == 24)
        #expect(set.poolConfiguration(.init()).maxWaiters == 24)
        let misspelt = AppConfiguration(reader: ConfigReader(provider: AppConfiguration.environmentProvider(["DATABASE_POOL_MAXWAITING": "24"])))
        #expect(misspelt.poolMaxWaiting == 512)
    }

    @Test("the connection strings and the SMTP password from the environment are secrets")
    func secretsRedacted() throws {
        let environment = ["DATABASE_URL": "postgres://app:hunter2@db/ps", "DATABASE_OWNER_URL": "postgres://owner:hunter3@db/ps",
                           "SMTP_PASSWORD": "hunter4", "SMTP_HOST": "mail.example.org"]
        let provider = AppConfiguration.environmentProvider(environment)
        for (key, secret) in [("database.url", true), ("database.ownerUrl", true), ("smtp.password", true), ("smtp.host", false)] {
            let value = try provider.value(forKey: AbsoluteConfigKey(ConfigKey(key)), type: .string).value
            #expect(value?.isSecret == secret, "\(key)")
        }
    }
}
