import ArgumentParser

/// The `patron-services` command: `serve` (the default), `migrate`, `bench`.
@main
struct PatronServicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patron-services",
        abstract: "Online patron account updates and patron type policies for a library consortium.",
        subcommands: [
            ServeCommand.self, MigrateCommand.self, SeedCommand.self, TokenCommand.self, PACClientCommand.self, ReportLoginCommand.self,
            NoticesCommand.self, ImportCommand.self,
            BenchCommand.self,
        ],
        defaultSubcommand: ServeCommand.self)
}
