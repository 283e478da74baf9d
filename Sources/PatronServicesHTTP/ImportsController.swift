import Foundation
import Hummingbird
import PatronServices
import Postgres

/// Imports as staff API uploads: `POST /imports?kind=` with the file as the body (CSV; for holdings
/// also MARCXML or ISO 2709) answers with the import job resource (status, counts, rejects), which
/// `GET /imports/{id}` returns again. The import runs in the request's own transaction, authenticated
/// as the caller, so it is finished (checked or applied) when the answer arrives.
struct ImportsController {
    let db: Database
    let maxImportBytes: Int

    func register(_ endpoints: Endpoints) {
        endpoints.on(.post, "imports", roles: StaffRole.admins, bodyLimit: maxImportBytes) { request, context in
            // An import computes for long (a file of up to `maxImportBytes` to convert and check): it runs
            // on Swift's global pool, not on the reactor thread its connection's task prefers, whose other
            // connections would wait for it.
            try await withTaskExecutorPreference(globalConcurrentExecutor) { try await importFile(request, context) }
        }
        endpoints.on(.get, "imports", roles: StaffRole.admins) { request, context in
            let limit = try request.queryID("limit").map { Int(min($0, 1_000)) }
            return try await db.staffJSON(request, context, ImportQueries.jobs(before: try request.queryID("beforeImportId"), limit: limit))
        }
        endpoints.on(.get, "imports/:id", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context, ImportQueries.job(try context.id("id")), notFound: "import")
        }
    }

    /// Reads, checks and loads one uploaded file in the caller's transaction.
    private func importFile(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let kindName = try request.query("kind"), let kind = CSVImport.Kind(rawValue: kindName.replacingOccurrences(of: "-", with: "_"))
        else {
            throw Problem(.badRequest, code: "invalid_query", detail: "kind is patrons, patron-types or holdings.",
                errors: [.init(field: "kind", code: "invalid", message: "Expected patrons, patron-types or holdings.")])
        }
        let dryRun = try Self.flag(request, "dryRun")
        let locations = try Self.locations(request)
        let fileName = String((try request.query("fileName") ?? "upload").prefix(200))
        let institution = try request.queryID("institutionId")
        var request = request
        let data = Data(try await request.collectBody(upTo: maxImportBytes).readableBytesView)
        let contents: String
        do {
            if kind == .holdings {
                contents = try HoldingsFile.csv(data)
            } else {
                guard let text = String(data: data, encoding: .utf8) else { throw CSVImport.Failure.emptyFile }
                contents = text
            }
        } catch {
            throw Problem(.unprocessableContent, code: "unreadable_file", detail: "The file cannot be read: \(error).")
        }
        guard !contents.contains("\u{0}") else {
            throw Problem(.unprocessableContent, code: "unreadable_file", detail: "The file contains NUL characters.")
        }
        let summary = try await db.staff(request, context) { connection, identity in
            let target = institution ?? identity.institutionID
            guard let target else {
                throw Problem.validation([.init(field: "institutionId", code: "required", message: "Name the library to import into.")])
            }
            do {
                return try await CSVImport(kind: kind, libraryCode: "", dryRun: dryRun, fileName: fileName, contents: contents,
                    locations: locations).load(on: connection, institution: target)
            } catch let failure as CSVImport.Failure {
                throw Problem(.unprocessableContent, code: "unreadable_file", detail: failure.description)
            } catch let error as PostgresError where error.sqlState?.errorClass == "22" {
                // COPY could not read the file as CSV (an unterminated quote, a row with extra columns, bad bytes).
                throw Problem(.unprocessableContent, code: "unreadable_file", detail: "The file cannot be read as CSV: \(error.message).")
            }
        }
        return JSONResponse.text(summary.text, status: .created)
    }

    static func flag(_ request: Request, _ name: String) throws -> Bool {
        switch try request.query(name) {
        case nil, "false": return false
        case "true": return true
        default:
            throw Problem(.badRequest, code: "invalid_query", detail: "\(name) is true or false.",
                errors: [.init(field: name, code: "invalid", message: "Expected true or false.")])
        }
    }

    /// `locations=MAIN:RPL-MAIN,ANNEX:RPL-ANNEX`: 852 ‡b locations and the branch codes they map to.
    static func locations(_ request: Request) throws -> [String: String] {
        guard let text = try request.query("locations"), !text.isEmpty else { return [:] }
        var table: [String: String] = [:]
        for pair in text.split(separator: ",", omittingEmptySubsequences: false) {
            // The form is checked as sent (as the document's pattern states it); blanks around a location
            // or a code are then ignored.
            let parts = pair.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, table.count < 1_000 else {
                throw Problem(.badRequest, code: "invalid_query", detail: "locations is location:BRANCH pairs, comma separated.",
                    errors: [.init(field: "locations", code: "invalid", message: "Expected location:BRANCH,…")])
            }
            let (location, branch) = (parts[0].trimmingCharacters(in: .whitespacesAndNewlines), parts[1].trimmingCharacters(in: .whitespacesAndNewlines))
            table[location] = branch
        }
        return table
    }
}
