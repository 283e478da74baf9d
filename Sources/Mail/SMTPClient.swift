import CCurl
import Foundation

/// One SMTP session over libcurl's SMTP support (a well-kept implementation of the protocol, TLS and
/// authentication, linked the way libpq is). The easy handle keeps its connection between messages, so
/// a worker sending a batch pays for one connection, not one per message.
///
/// `send` blocks while libcurl talks to the server: call it from a thread of your own, never from an
/// event loop (``NoticeDelivery`` runs it on an `NIOThreadPool`).
public final class SMTPClient: @unchecked Sendable {
    // @unchecked Sendable: the curl handle is used by one thread at a time, enforced by `lock`; callers
    // hand the client to a thread pool and await it, so the handle never sees two threads at once.
    private let handle: UnsafeMutableRawPointer
    private let configuration: SMTPConfiguration
    private let lock = NSLock()

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init(configuration: SMTPConfiguration) {
        _ = Self.globalInit
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init failed: out of memory") }
        self.handle = handle
        self.configuration = configuration
    }

    deinit { curl_easy_cleanup(handle) }

    /// Sends `message` to `recipients` (the envelope, which may differ from the headers); `.sent` only
    /// after the server's 250 for the data.
    public func send(_ message: MailMessage, recipients: [String]) -> SMTPOutcome {
        guard !recipients.isEmpty else { return .permanent("no recipients") }
        for address in recipients + [configuration.from] + (message.replyTo.map { [$0] } ?? []) where !MailMessage.isPlainAddress(address) {
            return .permanent("address cannot be used in a message: \(address.prefix(80))")
        }
        return lock.withLock { perform(message.bytes(), recipients: recipients) }
    }

    private func perform(_ bytes: [UInt8], recipients: [String]) -> SMTPOutcome {
        let body = Body(bytes)
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for recipient in recipients { list = curl_slist_append(list, "<\(recipient)>") }
        defer { curl_slist_free_all(list) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        let unmanaged = Unmanaged.passRetained(body)
        defer { unmanaged.release() }
        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errors in
            ps_curl_setopt_string(handle, CURLOPT_URL, configuration.url)
            ps_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
            ps_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, configuration.connectTimeoutSeconds)
            ps_curl_setopt_long(handle, CURLOPT_TIMEOUT, configuration.timeoutSeconds)
            ps_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(configuration.security == .none ? CURLUSESSL_NONE.rawValue : CURLUSESSL_ALL.rawValue))
            if let username = configuration.username { ps_curl_setopt_string(handle, CURLOPT_USERNAME, username) }
            if let password = configuration.password { ps_curl_setopt_string(handle, CURLOPT_PASSWORD, password) }
            if let caFile = configuration.caFile { ps_curl_setopt_string(handle, CURLOPT_CAINFO, caFile) }
            ps_curl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(configuration.from)>")
            ps_curl_setopt_pointer(handle, CURLOPT_MAIL_RCPT, UnsafeMutableRawPointer(list))
            ps_curl_setopt_long(handle, CURLOPT_UPLOAD, 1)
            ps_curl_setopt_read_function(handle) { buffer, size, count, user in
                guard let buffer, let user else { return 0 }
                return Unmanaged<Body>.fromOpaque(user).takeUnretainedValue().read(into: buffer, capacity: size * count)
            }
            ps_curl_setopt_pointer(handle, CURLOPT_READDATA, unmanaged.toOpaque())
            ps_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errors.baseAddress))
            let code = curl_easy_perform(handle)
            // The handle outlives this call: leave it pointing at nothing of ours.
            ps_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, nil)
            ps_curl_setopt_pointer(handle, CURLOPT_READDATA, nil)
            ps_curl_setopt_pointer(handle, CURLOPT_MAIL_RCPT, nil)
            return code
        }
        if code == CURLE_OK { return .sent }
        var reply = 0
        ps_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &reply)
        let buffered = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let detail = buffered.isEmpty ? String(cString: curl_easy_strerror(code)) : buffered
        let error = "\(detail) (curl \(code.rawValue), reply \(reply))"
        return Self.classify(code: Int(code.rawValue), reply: reply, error: error)
    }

    /// 5xx replies are permanent; everything else (4xx, no reply: refused, timed out, dropped, a TLS
    /// failure) is temporary. So are the authentication replies of RFC 4954 (530 authentication required,
    /// 534, 535 credentials invalid, 538 encryption required): they say the service is misconfigured, not
    /// that the message is bad, and once the password is fixed the waiting notices go out.
    static func classify(code: Int, reply: Int, error: String) -> SMTPOutcome {
        if code == Int(CURLE_LOGIN_DENIED.rawValue) || (530...538).contains(reply) { return .temporary(error) }
        return (500...599).contains(reply) ? .permanent(error) : .temporary(error)
    }

    /// The message, read by libcurl in pieces (it dot-stuffs and ends the data itself).
    private final class Body {
        let bytes: [UInt8]
        var offset = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
            let count = min(capacity, bytes.count - offset)
            guard count > 0 else { return 0 }
            bytes.withUnsafeBufferPointer { source in
                UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + offset, byteCount: count)
            }
            offset += count
            return count
        }
    }
}
