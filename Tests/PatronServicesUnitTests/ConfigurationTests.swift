import Configuration
import SystemPackage
import Foundation
import Logging
import Postgres
import Testing

@testable import PatronServicesHTTP

@Suite("Configuration: defaults, and what overrides them")
struct ConfigurationTests {
    @Test("with nothing set, the documented defaults apply")
    func defaults() {
        let configuration = AppConfiguration(reader: ConfigReader(providers: [InMemoryProvider(values: [:])]))
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.maxBodyBytes == 65_536)
        #expect(configuration.logLevel == .info)
        #expect(configuration.acquireTimeoutMilliseconds == 5_000)
        #expect(configuration.statementTimeoutMilliseconds == 15_000)
        #expect(configuration.noticeJobsIntervalSeconds == 3_600)
        #expect(configuration.smtp == nil, "no SMTP server unless configured: notices queue, none is sent")
        #expect(configuration.databaseURL == nil)
    }

    @Test("configured values win, and the pool takes its size and timeout from them")
    func overrides() {
        let configuration = AppConfiguration(reader: ConfigReader(providers: [InMemoryProvider(values: [
            "http.port": 9090, "database.pool.size": 3, "database.pool.acquireTimeoutMs": 250, "log.level": "debug",
        ])]))
        #expect(configuration.port == 9090)
        #expect(configuration.logLevel == .debug)
        let pool = configuration.poolConfiguration(.init())
        #expect(pool.maxConnections == 3)
        #expect(pool.acquireTimeout == .milliseconds(250))
    }

    @Test("the shipped Config/patron-services.json changes no default, so the pool keeps its per-core size as the benchmarks measure it")
    func shippedFileKeepsDefaults() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try await FileProvider<JSONSnapshot>(filePath: FilePath(root.appendingPathComponent("Config/patron-services.json").path))
        let shipped = AppConfiguration(reader: ConfigReader(providers: [file]))
        let defaults = AppConfiguration(reader: ConfigReader(providers: [InMemoryProvider(values: [:])]))
        #expect(shipped.poolSize == 2 * ProcessInfo.processInfo.activeProcessorCount + 2)
        #expect(shipped.poolSize == defaults.poolSize)
        #expect(shipped.poolMaxWaiting == defaults.poolMaxWaiting)
        #expect(shipped.acquireTimeoutMilliseconds == defaults.acquireTimeoutMilliseconds)
        #expect(shipped.statementTimeoutMilliseconds == defaults.statementTimeoutMilliseconds)
        #expect(shipped.maxBodyBytes == defaults.maxBodyBytes)
        #expect((shipped.host, shipped.port, shipped.databaseName) == (defaults.host, defaults.port, defaults.databaseName))
    }
}
