import Foundation

/// An RFC 5322 message with a text body and, optionally, an HTML alternative, written with CRLF line
/// ends and base64 bodies (safe for any server, whatever the characters or line lengths).
public struct MailMessage: Sendable {
    public var fromName: String?
    public var from: String
    public var to: [String]
    public var replyTo: String?
    public var subject: String
    public var messageID: String
    public var date: Date
    public var text: String
    public var html: String?

    public init(
        fromName: String?, from: String, to: [String], replyTo: String?, subject: String, messageID: String, date: Date = Date(),
        text: String, html: String? = nil
    ) {
        self.fromName = fromName
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.messageID = messageID
        self.date = date
        self.text = text
        self.html = html
    }

    /// An address fit for a header and the envelope: one mailbox, no spaces, brackets, commas or quotes.
    public static func isPlainAddress(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && address.utf8.count <= 254
            && address.unicodeScalars.allSatisfy { $0.value > 32 && $0.value < 127 && !"<>()[],;:\"\\".unicodeScalars.contains($0) }
    }

    /// The bytes to hand to the SMTP server after DATA.
    public func bytes() -> [UInt8] {
        var lines: [String] = []
        let fromHeader = fromName.map { "\(Self.encodedWord($0, quotedPhrase: true)) <\(from)>" } ?? from
        lines.append("From: \(fromHeader)")
        lines.append("To: \(to.joined(separator: ", "))")
        if let replyTo { lines.append("Reply-To: \(replyTo)") }
        lines.append("Subject: \(Self.encodedWord(Self.singleLine(subject), quotedPhrase: false))")
        lines.append("Date: \(Self.rfc5322Date(date))")
        lines.append("Message-ID: \(messageID)")
        lines.append("MIME-Version: 1.0")
        if let html {
            let boundary = "=_ps_" + String(messageID.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }, radix: 36)
            lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("--\(boundary)")
            lines += Self.part(text, type: "text/plain")
            lines.append("--\(boundary)")
            lines += Self.part(html, type: "text/html")
            lines.append("--\(boundary)--")
        } else {
            lines += Self.part(text, type: "text/plain")
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    static func part(_ body: String, type: String) -> [String] {
        let encoded = Data(body.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return ["Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: base64", ""]
            + encoded.split(separator: "\r\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// Header text may not break lines: CR and LF become spaces (no header injection through a template).
    static func singleLine(_ text: String) -> String {
        String(text.map { $0 == "\r" || $0 == "\n" || $0 == "\r\n" ? " " : $0 })
    }

    /// Plain printable ASCII as is (a display name quoted); anything else as RFC 2047 base64 words.
    static func encodedWord(_ text: String, quotedPhrase: Bool) -> String {
        let line = singleLine(text)
        let plain = line.unicodeScalars.allSatisfy { $0.value >= 32 && $0.value < 127 } && !line.contains("=?") && line.utf8.count <= 900
        if plain {
            return quotedPhrase ? "\"" + line.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" : line
        }
        // Words of at most 45 bytes of UTF-8 (60 base64 characters), split between characters.
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in line {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    /// `Tue, 25 Nov 2026 18:30:00 +0000`, written by hand: a DateFormatter costs milliseconds to make.
    static func rfc5322Date(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) +0000"
    }
}
