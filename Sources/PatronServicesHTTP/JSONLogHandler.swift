import Glibc
import Logging
import Postgres

/// Writes each log line as one JSON object (ts, level, label, message, then the metadata; keys sorted)
/// to standard output (or another descriptor: the benchmarks give the service a file), for log shippers,
/// through a ``LogWriter``, so that no request waits for the log's reader. `log.format` = `json` (the
/// default) selects it; `text` keeps swift-log's stream.
///
/// The line is written by hand, not through Foundation's `JSONSerialization` with sorted keys and an
/// `ISO8601FormatStyle`: that cost 15% of the service's CPU for a report page and more of a small request,
/// since every request logs a line (dynamic casts, bridging to `NSDictionary` and locale-aware key
/// comparison for seven strings).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    /// Where the lines go: standard output's writer, unless told otherwise.
    let writer: LogWriter

    public init(label: String, writer: LogWriter = .standardOutput) {
        self.label = label
        self.writer = writer
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        var line = Self.line(
            seconds: Int(time.tv_sec), milliseconds: Int(time.tv_nsec) / 1_000_000, level: event.level, label: label,
            message: "\(event.message)", metadata: metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }))
        line.append(0x0A)
        writer.append(line, urgent: event.level >= .error)
    }

    /// One log line's JSON object, without its newline. `ts`, `level`, `label` and `message` are always the
    /// event's own: metadata of the same name does not replace them.
    static func line(
        seconds: Int, milliseconds: Int, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata
    ) -> [UInt8] {
        var fields: [(key: String, value: String)] = [
            ("ts", timestamp(seconds: seconds, milliseconds: milliseconds)), ("level", level.rawValue), ("label", label),
            ("message", message),
        ]
        for (key, value) in metadata where !["ts", "level", "label", "message"].contains(key) {
            if case .string(let text) = value { fields.append((key, text)) } else { fields.append((key, "\(value)")) }
        }
        fields.sort { $0.key < $1.key }
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(UInt8(ascii: "{"))
        for (index, field) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(field.key, to: &out)
            out.append(UInt8(ascii: ":"))
            appendString(field.value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `2026-11-26T10:40:06.123Z`: UTC, milliseconds.
    static func timestamp(seconds: Int, milliseconds: Int) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let inDay = seconds - days * 86_400
        let date = CivilDate(daysSinceEpoch: days)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(date.year, 4))-\(pad(date.month, 2))-\(pad(date.day, 2))T\(pad(inDay / 3600, 2)):\(pad(inDay / 60 % 60, 2)):"
            + "\(pad(inDay % 60, 2)).\(pad(milliseconds, 3))Z"
    }

    /// A JSON string: quotes, backslashes and control characters escaped.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
