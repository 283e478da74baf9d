import Foundation
import Logging
import Synchronization
import Testing

@testable import PatronServicesHTTP

@Suite("Operations: JSON log lines")
struct JSONLogHandlerTests {
    @Test("a line is one JSON object with ts, level, label, message and the metadata, keys sorted, escaped as JSON")
    func lineIsJSON() throws {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{07} é 日本"
        let bytes = JSONLogHandler.line(
            seconds: 1_795_689_606, milliseconds: 7, level: .warning, label: "patron-services", message: awkward,
            metadata: ["http.route": "/staff/v1/patrons", "z": .stringConvertible(42), "a": .array(["x"]), "level": "forged"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: String])
        #expect(object == [
            "ts": "2026-11-26T10:40:06.007Z", "level": "warning", "label": "patron-services", "message": awkward,
            "http.route": "/staff/v1/patrons", "z": "42", "a": #"["x"]"#,
        ])
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.contains("\n"))
        #expect(text.hasPrefix(#"{"a":"[\"x\"]","http.route":"/staff/v1/patrons","label":"patron-services","level":"warning","message":"#))
        #expect(text.contains(#"\u0007"#))
    }

    @Test("timestamps are UTC with milliseconds, before 1970 and across leap days too")
    func timestamps() {
        #expect(JSONLogHandler.timestamp(seconds: 0, milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(JSONLogHandler.timestamp(seconds: -1, milliseconds: 999) == "1969-12-31T23:59:59.999Z")
        #expect(JSONLogHandler.timestamp(seconds: 951_782_400, milliseconds: 120) == "2000-02-29T00:00:00.120Z")
        #expect(JSONLogHandler.timestamp(seconds: 4_102_444_799, milliseconds: 5) == "2099-12-31T23:59:59.005Z")
    }

    @Test("a handler given a file writes its lines there, one whole JSON object a line (the benchmarks log so)")
    func writesToItsDescriptor() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("json-log-\(UUID().uuidString).log").path
        let file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        try #require(file >= 0)
        defer { unlink(path) }
        let writer = LogWriter(descriptor: file)
        var logger = Logger(label: "bench-log") { JSONLogHandler(label: $0, writer: writer) }
        logger[metadataKey: "request.id"] = "r-1"
        logger.info("request", metadata: ["http.status": "200"])
        logger.debug("below the level")
        logger.error("second")
        writer.flush()
        close(file)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let objects = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]) }
        #expect(objects.map { $0["message"] } == ["request", "second"])
        #expect(objects.first?["http.status"] == "200")
        #expect(objects.allSatisfy { $0["request.id"] == "r-1" && $0["label"] == "bench-log" })
    }

    @Test("a log reader that stops reading does not hold up logging: lines beyond the buffer are dropped and counted, and the count is written when the reader reads again")
    func stalledReaderDoesNotBlock() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        let writer = LogWriter(descriptor: ends[1], capacity: 16_384, batchDelay: 0.001)
        let logger = Logger(label: "stalled") { JSONLogHandler(label: $0, writer: writer) }
        // Nobody reads the pipe (64 KiB) while 5,000 lines of some 150 bytes are logged.
        let logged = DispatchSemaphore(value: 0)
        Thread {
            for index in 0..<5_000 { logger.info("line \(index)") }
            logged.signal()
        }.start()
        // A deadline against a hang only (a logger that waits for the reader never returns), not a speed.
        try #require(logged.wait(timeout: .now() + 120) == .success, "logging waited for the log's reader")

        // The reader comes back and reads to the end.
        let collected = Mutex<[UInt8]>([])
        let drained = DispatchSemaphore(value: 0)
        let readEnd = ends[0]
        Thread {
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while case let count = read(readEnd, &chunk, chunk.count), count > 0 {
                collected.withLock { $0 += chunk[0..<count] }
            }
            drained.signal()
        }.start()
        writer.flush()
        logger.info("last")  // written after the count of what was dropped before it
        writer.flush()
        close(ends[1])
        try #require(drained.wait(timeout: .now() + 120) == .success)
        close(ends[0])

        let lines = collected.withLock { $0 }.split(separator: 0x0A)
        let objects = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0)) as? [String: String]) }
        let written = objects.filter { $0["message"]?.hasPrefix("line ") == true }.count
        let dropped = objects.compactMap { $0["log.dropped"].flatMap { Int($0) } }.reduce(0, +)
        #expect(dropped > 0, "the buffer filled")
        #expect(written + dropped == 5_000, "every line is written or counted as dropped")
        #expect(objects.last?["message"] == "last")
    }
}
