import ArgumentParser
import Foundation
import Logging
import PatronServices
import Postgres

/// The signed-in patrons of `bench pac`: the library's options set through the API, a PAC client key,
/// one PIN for `count` patrons, each signed in once through the API (for wrk) and once through the same
/// SQL function with known session tokens (for pgbench); and the two sides' scripts.
struct PACBenchPatrons: Sendable {
    let clientKey: String
    /// pgbench's session tokens are this and a number from 1 to `count` (new each run: tokens are unique).
    let pgbenchSessionPrefix: String
    let httpSessions: [String]
    let count: Int

    static func prepare(bench: BenchDatabase, load: LoadRunner, count: Int, logger: Logger) async throws -> PACBenchPatrons {
        let owner = try await PostgresConnection.connect(
            bench.cluster.configuration(user: DatabaseRoles.owner, database: bench.database), logger: logger)
        try await owner.execute("begin; select set_config('ps.role', 'consortium_admin', true), set_config('ps.actor', 'bench', true)")
        let key = try await owner.query(
            "select client_key from ps.create_pac_client(\(bench.handles.branch), 'bench pac', 'bench', '[]'::jsonb)").scalar(String.self)
        let first = bench.handles.patronRange.lowerBound
        let prefix = "pgbench-\(UInt32.random(in: 0...UInt32.max))-"
        let barcodes = try await owner.query("""
            update ps.patron set pin_hash = (select ps.hash_pin('1234'))
            where patron_id between \(first) and \(first + Int64(count) - 1) returning barcode
            """).rows.map { try $0.decode("barcode", as: String.self) }
        for (index, barcode) in barcodes.enumerated() {
            let outcome = try await owner.query(
                "select outcome from ps.patron_sign_in(\(key), \(barcode), '1234', \(prefix + String(index + 1)), null)").scalar(String.self)
            guard outcome == "signed_in" else { throw ValidationError("pgbench's sign-in of \(barcode): \(outcome)") }
        }
        try await owner.execute("commit")
        await owner.close()

        let (port, adminToken, institution) = (load.port, bench.token, bench.handles.institution)
        let sessions = try await load.withService {
            try await LoadRunner.offThePool { () throws -> [String] in
                let http = try BenchHTTPConnection(port: port)
                let options = """
                    {"level":"library","institutionId":\(institution),"options":{"updatePatronTypes":["ADULT","JUVENILE","SENIOR","STAFF"],\
                    "emailChange":"request","phoneChange":"direct","addressChange":"request"}}
                    """
                let saved = try http.exchange(BenchHTTPConnection.request("PUT", "/staff/v1/patron-access-options",
                    headers: [("Authorization", "Bearer \(adminToken)")], json: options))
                guard saved.status == 200 else { throw ValidationError("saving the options: \(saved.status) \(saved.text)") }
                return try barcodes.map { barcode in
                    let answer = try http.exchange(BenchHTTPConnection.request("POST", "/pac/v1/sign-in", headers: [("X-PAC-Client-Key", key)],
                        json: #"{"barcode":"\#(barcode)","pin":"1234"}"#))
                    guard answer.status == 201, let session = (try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])?["sessionToken"]
                        as? String
                    else { throw ValidationError("signing in \(barcode): \(answer.status) \(answer.text)") }
                    return session
                }
            }
        }
        return PACBenchPatrons(clientKey: key, pgbenchSessionPrefix: prefix, httpSessions: sessions, count: barcodes.count)
    }

    // MARK: pgbench: the statements the service sends, with a random signed-in patron's session

    private func pgbench(_ query: PostgresQuery) -> String {
        let sessionMarker = "pgbench-session-marker", bodyMarker = #"{"marker":true}"#
        let statements = TransactionOptions().prelude  // a PAC request without a browser origin, as wrk sends
            + [AccountUpdateQueries.authenticatePAC(clientKey: clientKey, session: sessionMarker), query, "commit"]
        return "\\set n random(1, \(count))\n\\set r random(1, 1000000000)\n" + statements.map {
            LoadRunner.inline($0, replacing: [
                sessionMarker: "('\(pgbenchSessionPrefix)' || :n)",
                bodyMarker: #"('{"email":"bench-' || :r || '@example.org"}')"#,
            ]) + ";\n"
        }.joined()
    }

    var pgbenchSubmission: String {
        pgbench(AccountUpdateQueries.submitChangeRequest(PostgresJSON(text: #"{"marker":true}"#), idempotencyKey: nil))
    }
    var pgbenchOptions: String { pgbench(AccountUpdateQueries.options) }

    // MARK: HTTP: wrk's scripts and the open loop's requests

    private var luaPrelude: String {
        "local key = \"\(clientKey)\"\nlocal sessions = {" + httpSessions.map { "\"\($0)\"" }.joined(separator: ",") + "}\n"
    }

    var wrkSubmission: String {
        luaPrelude + """
            request = function()
              local headers = { ["X-PAC-Client-Key"] = key, ["Authorization"] = "Bearer " .. sessions[math.random(#sessions)],
                                ["Content-Type"] = "application/json" }
              return wrk.format("POST", "/pac/v1/change-requests", headers, '{"email":"bench-' .. math.random(1, 1000000000) .. '@example.org"}')
            end
            """
    }

    var wrkOptions: String {
        luaPrelude + """
            request = function()
              local headers = { ["X-PAC-Client-Key"] = key, ["Authorization"] = "Bearer " .. sessions[math.random(#sessions)] }
              return wrk.format("GET", "/pac/v1/options", headers)
            end
            """
    }

    var submissionRequest: @Sendable (Int) -> [UInt8] {
        let (key, sessions) = (clientKey, httpSessions)
        return { _ in
            BenchHTTPConnection.request("POST", "/pac/v1/change-requests",
                headers: [("X-PAC-Client-Key", key), ("Authorization", "Bearer \(sessions.randomElement()!)")],
                json: #"{"email":"bench-\#(Int.random(in: 1...1_000_000_000))@example.org"}"#)
        }
    }
}
