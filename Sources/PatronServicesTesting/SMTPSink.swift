import Foundation

/// A real SMTP server on loopback for tests: `Tests/smtp/smtp_sink.py` (aiosmtpd), started per test.
/// A message is in ``messages()`` as soon as the client has the server's 250 for it.
public final class SMTPSink: @unchecked Sendable {
    // @unchecked Sendable: `process` is only started here and terminated in `stop`, and the output
    // file is read, never written, by this side.
    public let port: Int
    let process: Process
    let output: URL

    /// One message as the server received it: envelope, headers and decoded bodies.
    public struct Mail: Decodable, Sendable {
        public var mailFrom: String
        public var rcptTos: [String]
        public var from: String
        public var to: String
        public var replyTo: String
        public var subject: String
        public var messageId: String
        public var text: String
        public var html: String?
    }

    /// Starts the server (on `port`, or a free one) with the fault options of `smtp_sink.py`.
    public static func start(port: Int = 0, _ options: [String] = []) throws -> SMTPSink {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-sink-\(UUID().uuidString).jsonl")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python.path)
        process.arguments = python.arguments + [script, "--port", String(port), "--out", output.path] + options
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        // The script prints "PORT n" once it listens: reading that line is the wait, with no sleep.
        var line = ""
        while !line.hasSuffix("\n") {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { throw SinkError(message: "smtp_sink.py exited before listening (is aiosmtpd installed for \(python.path)?)") }
            line += String(decoding: chunk, as: UTF8.self)
        }
        guard let reported = line.split(separator: " ").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            throw SinkError(message: "unexpected first line from smtp_sink.py: \(line)")
        }
        return SMTPSink(port: reported, process: process, output: output)
    }

    init(port: Int, process: Process, output: URL) {
        self.port = port
        self.process = process
        self.output = output
    }

    deinit { stop() }

    /// Every message received so far, in order.
    public func messages() throws -> [Mail] {
        let text = try String(contentsOf: output, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Mail.self, from: Data($0.utf8)) }
    }

    public func stop() {
        if process.isRunning {
            // SIGKILL: the test process may have SIGTERM blocked, and a child inherits that mask.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: output)
    }

    struct SinkError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// A loopback port nothing listens on (bound and released), for a server that is down.
    public static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw SinkError(message: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// `Tests/smtp/smtp_sink.py` beside this package.
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/smtp/smtp_sink.py").path
    }

    /// The Python with aiosmtpd: `SMTP_SINK_PYTHON`, else Debian's (`python3-aiosmtpd`), else `python3` on PATH.
    static var python: (path: String, arguments: [String]) {
        if let chosen = ProcessInfo.processInfo.environment["SMTP_SINK_PYTHON"] { return (chosen, []) }
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") { return ("/usr/bin/python3", []) }
        return ("/usr/bin/env", ["python3"])
    }
}
