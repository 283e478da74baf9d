import ArgumentParser
import Hummingbird
import Logging
import PatronServices
import PatronServicesHTTP
import Postgres

/// Runs the HTTP service until SIGTERM/SIGINT, then shuts down gracefully.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the HTTP service.")
    @OptionGroup var options: ConfigOptions
    @Flag(help: "Load the demo consortium if the database is empty and print fresh demo credentials.") var demo = false

    func run() async throws {
        let reader = try await options.reader()
        if AppConfiguration(reader: reader).logFormat == "json" {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        }
        if demo {
            let settings = AppConfiguration(reader: reader)
            let provider = try await DatabaseProvider.resolve(settings, logger: Logger(label: "seed"))
            let credentials = try await DemoSeed(
                owner: provider.owner, sqlDirectory: try SQLDirectory.locate(explicit: settings.sqlDirectory), showcase: true
            ).run()
            printCredentials(credentials)
            // Let the application start (and so own, and stop at shutdown) the embedded cluster.
            if let cluster = provider.embedded, provider.startedEmbedded { try cluster.stop() }
        }
        // The log's last lines (the shutdown's among them) are written before the process exits, unless
        // the log's reader has stopped: then the process exits after 5 s all the same.
        defer { LogWriter.standardOutput.flush(waitingAtMost: 5) }
        let app = try await buildApplication(reader: reader)
        try await app.runService()
    }
}
