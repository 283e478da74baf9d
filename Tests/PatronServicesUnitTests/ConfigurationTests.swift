import Configuration
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
}
