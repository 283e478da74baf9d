import ArgumentParser
import Configuration
import PatronServicesHTTP
import SystemPackage

/// Options shared by the commands; each maps to a configuration key and wins over the environment,
/// which wins over `Config/patron-services.json`.
struct ConfigOptions: ParsableArguments {
    @Option(help: "Configuration file (JSON).") var config: String = "Config/patron-services.json"
    @Option(help: "Address to listen on (http.host).") var host: String?
    @Option(help: "Port to listen on (http.port).") var port: Int?
    @Option(help: "libpq URL or conninfo of the service role (database.url).") var databaseURL: String?
    @Option(help: "Log level (log.level).") var logLevel: String?

    func reader() async throws -> ConfigReader {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        if let host { values["http.host"] = .init(.string(host), isSecret: false) }
        if let port { values["http.port"] = .init(.int(port), isSecret: false) }
        if let databaseURL { values["database.url"] = .init(.string(databaseURL), isSecret: true) }
        if let logLevel { values["log.level"] = .init(.string(logLevel), isSecret: false) }
        return ConfigReader(providers: [
            InMemoryProvider(name: "arguments", values: values),
            AppConfiguration.environmentProvider(),
            try await FileProvider<JSONSnapshot>(filePath: FilePath(config), allowMissing: true),
        ])
    }
}
