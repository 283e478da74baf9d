import Foundation
import Logging
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
        var logger = Logger(label: "bench-log") { JSONLogHandler(label: $0, output: file) }
        logger[metadataKey: "request.id"] = "r-1"
        logger.info("request", metadata: ["http.status": "200"])
        logger.debug("below the level")
        logger.error("second")
        close(file)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let objects = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]) }
        #expect(objects.map { $0["message"] } == ["request", "second"])
        #expect(objects.first?["http.status"] == "200")
        #expect(objects.allSatisfy { $0["request.id"] == "r-1" && $0["label"] == "bench-log" })
    }
}
