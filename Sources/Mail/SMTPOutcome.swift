/// What became of one message: only `sent` means the server answered 250 to its data.
public enum SMTPOutcome: Sendable, Equatable {
    case sent
    /// Worth retrying: a 4xx reply, a refused, timed-out or dropped connection.
    case temporary(String)
    /// Not worth retrying: a 5xx reply, or an address that cannot be written in a header.
    case permanent(String)

    public var isSent: Bool { self == .sent }
}
