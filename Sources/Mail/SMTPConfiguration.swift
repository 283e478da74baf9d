/// Where and how notices are sent: an SMTP server reached through libcurl.
public struct SMTPConfiguration: Sendable, Equatable {
    /// `none` (plain SMTP, for a relay on the same host), `starttls` (upgrade, required) or `tls` (implicit TLS, smtps).
    public enum Security: String, Sendable { case none, starttls, tls }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// A PEM file of the certificate authorities to trust for the server's certificate (a private CA, or
    /// a relay's self-signed certificate); nil: the system's store. The certificate and its host name are
    /// always verified.
    public var caFile: String?
    /// The envelope sender and `From:` address.
    public var from: String
    /// The right-hand side of every Message-ID (`<notice-…@domain>`).
    public var messageIDDomain: String
    /// Seconds to connect, and seconds for one whole message.
    public var connectTimeoutSeconds: Int
    public var timeoutSeconds: Int

    public init(
        host: String, port: Int = 25, security: Security = .none, username: String? = nil, password: String? = nil, caFile: String? = nil,
        from: String = "notices@localhost", messageIDDomain: String? = nil, connectTimeoutSeconds: Int = 10, timeoutSeconds: Int = 60
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.caFile = caFile
        self.from = from
        self.messageIDDomain = messageIDDomain ?? from.split(separator: "@").last.map(String.init) ?? "localhost"
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.timeoutSeconds = timeoutSeconds
    }

    /// The libcurl URL: smtp(s)://host:port/ with the EHLO name.
    var url: String {
        let scheme = security == .tls ? "smtps" : "smtp"
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(bracketed):\(port)/\(messageIDDomain)"
    }
}
