import Configuration
import Foundation

extension AppConfiguration {
    /// The environment variables that carry secrets: their values are redacted wherever the
    /// configuration is printed or logged. A key's variable is its path upper-cased, with an underscore
    /// between the path's parts and between the words of a camelCase part (`database.ownerUrl` →
    /// `DATABASE_OWNER_URL`), as swift-configuration names them.
    public static let secretEnvironmentVariables: Set<String> = ["DATABASE_URL", "DATABASE_OWNER_URL", "SMTP_PASSWORD"]

    /// The provider that reads the configuration from `environment` (the process's own when nil).
    public static func environmentProvider(_ environment: [String: String]? = nil) -> EnvironmentVariablesProvider {
        EnvironmentVariablesProvider(environmentVariables: environment ?? ProcessInfo.processInfo.environment,
            secretsSpecifier: .specific(secretEnvironmentVariables))
    }
}
