import ArgumentParser
import Logging
import PatronServices
import PatronServicesHTTP

/// `patron-services seed --demo`: a small consortium and credentials to try the API with.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "seed", abstract: "Load demo data and print credentials.")
    @OptionGroup var options: ConfigOptions
    @Flag(help: "Load the demo consortium.") var demo = false

    func run() async throws {
        guard demo else { throw ValidationError("say --demo to load the demo consortium") }
        let database = try await OwnerDatabase.open(options, logger: Logger(label: "seed"))
        defer { database.finish() }
        let settings = AppConfiguration(reader: try await options.reader())
        let credentials = try await DemoSeed(owner: database.configuration, sqlDirectory: try SQLDirectory.locate(explicit: settings.sqlDirectory), showcase: true).run()
        printCredentials(credentials)
    }
}

func printCredentials(_ credentials: DemoSeed.Credentials) {
    say("""
        Demo credentials (valid 30 days):
          consortium admin token  \(credentials.consortiumAdminToken)
          library admin token     \(credentials.libraryAdminToken)   (Riverside Public Library)
          circulation staff token \(credentials.circulationStaffToken)   (Riverside Public Library)
          supervisor token        \(credentials.circulationSupervisorToken)   (Riverside Public Library)
          PAC client key          \(credentials.pacClientKey)   (\(credentials.pacBranchName))
          patron                  barcode \(credentials.patronBarcode), PIN \(credentials.patronPIN)
        For the README tour, paste into your shell:
        \(credentials.shellExports)
        """)
}
