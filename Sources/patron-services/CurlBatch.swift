import Foundation
import Postgres

/// Requests that one curl process sends in order over one kept-alive connection (a `-K` file), each
/// answer's status and time written out: how `bench report` fetches a report's pages, as a client
/// that asks for the next page when it has this one.
struct CurlBatch: Sendable {
    let path: String

    /// Writes the curl file for `urls` (each answer's body to /dev/null), with the bearer `token` when
    /// one is given; `name` keeps it apart from the other batches of this process.
    init(urls: [String], token: String?, name: String) throws {
        let header = token.map { "header = \"Authorization: Bearer \($0)\"\n" } ?? ""
        let config = header + "write-out = \"%{http_code} %{time_total}\\n\"\n"
            + urls.map { "url = \"\($0)\"\noutput = \"/dev/null\"\n" }.joined()
        path = FileManager.default.temporaryDirectory.appendingPathComponent("report-bench-\(getpid())-\(name).curl").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Sends every request once: the whole batch's wall time, and each answer's status and seconds.
    func run() async throws -> (total: Duration, answers: [(status: Substring, seconds: Double)]) {
        let began = ContinuousClock.now
        let path = path
        let lines = try await LoadRunner.offThePool { try EmbeddedPostgres.runProcess("/usr/bin/curl", ["-s", "-K", path]) }
            .split(separator: "\n")
        let total = ContinuousClock.now - began
        return (total, lines.map { $0.split(separator: " ") }.map { ($0.first ?? "", $0.count == 2 ? Double($0[1]) ?? .nan : .nan) })
    }
}
