import ArgumentParser
import Hummingbird
import PatronServicesHTTP

/// Runs the HTTP service until SIGTERM/SIGINT, then shuts down gracefully.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the HTTP service.")
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let app = try await buildApplication(reader: try await options.reader())
        try await app.runService()
    }
}
