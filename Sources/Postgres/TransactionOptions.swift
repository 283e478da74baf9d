/// How ``PostgresPool/withTransaction(_:_:)`` opens its transaction.
public struct TransactionOptions: Sendable, Hashable {
    public enum Isolation: String, Sendable {
        case readCommitted = "read committed"
        case repeatableRead = "repeatable read"
        case serializable
    }

    public var isolation: Isolation
    public var readOnly: Bool
    /// Run-time settings made with `set_config(name, value, true)`: they last until the transaction
    /// ends, so a pooled connection never carries one request's tenant into the next request.
    public var settings: [(name: String, value: String)]

    public init(isolation: Isolation = .readCommitted, readOnly: Bool = false, settings: [(name: String, value: String)] = []) {
        self.isolation = isolation
        self.readOnly = readOnly
        self.settings = settings
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.isolation == rhs.isolation && lhs.readOnly == rhs.readOnly
            && lhs.settings.map(\.name) == rhs.settings.map(\.name) && lhs.settings.map(\.value) == rhs.settings.map(\.value)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(isolation)
        hasher.combine(readOnly)
        for setting in settings {
            hasher.combine(setting.name)
            hasher.combine(setting.value)
        }
    }

    /// `begin` with the isolation level and access mode.
    var beginStatement: PostgresQuery {
        PostgresQuery(unsafeSQL: "begin isolation level \(isolation.rawValue)" + (readOnly ? " read only" : ""))
    }

    /// One statement applying every setting, or nil when there are none.
    var settingsStatement: PostgresQuery? {
        guard !settings.isEmpty else { return nil }
        var sql = "select "
        var binds: [String?] = []
        for (offset, setting) in settings.enumerated() {
            if offset > 0 { sql += ", " }
            sql += "set_config($\(binds.count + 1), $\(binds.count + 2), true)"
            binds.append(setting.name)
            binds.append(setting.value)
        }
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    /// `begin` and the settings statement, to pipeline before a transaction's own statements.
    public var prelude: [PostgresQuery] { [beginStatement] + (settingsStatement.map { [$0] } ?? []) }
}
