/// How to reach a server: libpq connection keywords, passed to `PQconnectdbParams` unchanged.
///
/// Anything left out falls back to libpq's own defaults, so `PGHOST`, `PGPORT`, `PGUSER`,
/// `PGPASSWORD`, `PGSERVICE`, `.pgpass`, `sslmode` and every authentication method work as in psql.
public struct PostgresConfiguration: Sendable, Hashable {
    /// Keyword/value pairs such as `host`, `port`, `dbname`, `user`, `sslmode`.
    public var parameters: [String: String]
    /// `statement_timeout` for every session, in milliseconds; `nil` leaves the server's setting.
    public var statementTimeoutMilliseconds: Int?
    /// Seconds a connection attempt may take.
    public var connectTimeoutSeconds: Int

    public init(parameters: [String: String] = [:], statementTimeoutMilliseconds: Int? = nil, connectTimeoutSeconds: Int = 10) {
        self.parameters = parameters
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
        self.connectTimeoutSeconds = connectTimeoutSeconds
    }

    /// A `postgresql://` URL or `key=value` connection string, expanded by libpq itself.
    public init(connectionString: String, statementTimeoutMilliseconds: Int? = nil) {
        self.init(parameters: ["dbname": connectionString], statementTimeoutMilliseconds: statementTimeoutMilliseconds)
    }

    /// The same server and credentials, another database.
    public func database(_ name: String) -> PostgresConfiguration {
        var copy = self
        if let dbname = parameters["dbname"], dbname.contains("://") || dbname.contains("=") {
            // A URL or connection string: libpq lets later keywords override what it expanded.
            copy.parameters["dbname"] = dbname
            copy.parameters["__override_dbname"] = name
        } else {
            copy.parameters["dbname"] = name
        }
        return copy
    }

    /// The same server and database as another user.
    public func user(_ name: String) -> PostgresConfiguration {
        var copy = self
        copy.parameters["user"] = name
        copy.parameters.removeValue(forKey: "password")
        return copy
    }

    /// Keywords and values in the order libpq should read them: `dbname` first, so that the values it
    /// expands from a URL are overridden by the explicit keywords that follow.
    var keywordsAndValues: [(String, String)] {
        var pairs: [(String, String)] = []
        if let dbname = parameters["dbname"] { pairs.append(("dbname", dbname)) }
        for (key, value) in parameters.sorted(by: { $0.key < $1.key }) where key != "dbname" && key != "__override_dbname" {
            pairs.append((key, value))
        }
        if let override = parameters["__override_dbname"] { pairs.append(("dbname", override)) }
        if parameters["connect_timeout"] == nil { pairs.append(("connect_timeout", String(connectTimeoutSeconds))) }
        if parameters["application_name"] == nil { pairs.append(("application_name", "patron-services")) }
        return pairs
    }
}
