import Foundation
import Postgres

/// A CSV import into a library: the patron type translation table or the patron file. The file goes
/// by COPY into the transaction's staging table, SQL checks every row with the API's rules, and the
/// valid rows are applied at once (or nothing, with `dryRun`); one transaction, so a failed run leaves
/// nothing half-loaded. The CSV's header names the columns; a column the staging table does not have
/// is refused before anything is loaded.
public struct CSVImport: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case patrons
        case patronTypes = "patron_types"
        case holdings

    }

    public enum Failure: Error, CustomStringConvertible, Sendable {
        case unknownLibrary(String)
        case emptyFile
        case unknownColumns([String], allowed: [String])

        public var description: String {
            switch self {
            case .unknownLibrary(let code): "no library with code \(code)"
            case .emptyFile: "the file has no header row"
            case .unknownColumns(let columns, let allowed):
                "unknown column(s) \(columns.joined(separator: ", ")); the header may name: \(allowed.joined(separator: ", "))"
            }
        }
    }

    public var kind: Kind
    public var libraryCode: String
    public var dryRun: Bool
    public var fileName: String
    public var contents: String
    /// Holdings: 852 ‡b location → branch code.
    public var locations: [String: String]

    public init(kind: Kind, libraryCode: String, dryRun: Bool, fileName: String, contents: String, locations: [String: String] = [:]) {
        self.locations = locations
        self.kind = kind
        self.libraryCode = libraryCode
        self.dryRun = dryRun
        self.fileName = fileName
        self.contents = contents
    }

    /// Runs the import on `connection` (the service role or the owner) as the system acting as a
    /// consortium administrator; returns the summary with its reject report.
    public func run(on connection: PostgresConnection, progress: (@Sendable (Int) -> Void)? = nil) async throws -> PostgresJSON {
        _ = try await connection.pipeline(TransactionOptions(settings: [("ps.role", "consortium_admin"), ("ps.actor", "import")]).prelude)
        do {
            let summary = try await load(connection, progress: progress)
            try await connection.query("commit")
            return summary
        } catch {
            _ = try? await connection.execute("rollback")
            throw error
        }
    }

    private func load(_ connection: PostgresConnection, progress: (@Sendable (Int) -> Void)?) async throws -> PostgresJSON {
        let libraries = try await connection.query("select institution_id from ps.library where code = \(libraryCode)")
        guard let institution = try libraries.first.map({ try $0.decode(Int64.self, at: 0) }) else { throw Failure.unknownLibrary(libraryCode) }
        return try await load(on: connection, institution: institution, progress: progress)
    }

    /// Stages, checks and applies the file for `institution` inside the caller's transaction (the staff
    /// API's, authenticated as the caller, whose row-level security and role the SQL checks).
    public func load(on connection: PostgresConnection, institution: Int64, progress: (@Sendable (Int) -> Void)? = nil) async throws -> PostgresJSON {
        let table = try await connection.query("select ps.stage_import(\(kind.rawValue))").scalar(String.self)
        let allowed = try await connection.query("""
            select attname::text from pg_attribute where attrelid = ('pg_temp.' || \(table))::regclass
            and attnum > 0 and not attisdropped and attname <> 'row_number' order by attnum
            """).map { try $0.decode(String.self, at: 0) }
        guard let headerLine = contents.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first,
            !headerLine.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        else { throw Failure.emptyFile }
        let header = headerLine.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \r\"")).lowercased() }
        let unknown = header.filter { !allowed.contains($0) }
        guard unknown.isEmpty else { throw Failure.unknownColumns(unknown, allowed: allowed) }
        // Column names are checked against the staging table's own, so they are safe to write in the statement.
        let copy = "copy pg_temp.\(table) (\(header.joined(separator: ", "))) from stdin with (format csv, header true)"
        try await connection.copyFromStdin(copy, chunks: Self.chunks(contents), progress: progress)
        let apply: PostgresQuery = switch kind {
        case .patrons: "select ps.apply_patron_import(\(institution), \(dryRun), \(fileName))"
        case .patronTypes: "select ps.apply_patron_type_import(\(institution), \(dryRun), \(fileName))"
        case .holdings: "select ps.apply_holding_import(\(institution), \(dryRun), \(fileName), \(try PostgresJSON(encoding: locations))::jsonb)"
        }
        return try await connection.query(apply).scalar(PostgresJSON.self)
    }

    /// The file in pieces of about a megabyte, cut after a line end (COPY reassembles the stream).
    static func chunks(_ text: String) -> [String] {
        var pieces: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            var end = rest.index(rest.startIndex, offsetBy: 1 << 20, limitedBy: rest.endIndex) ?? rest.endIndex
            if end < rest.endIndex, let newline = rest[end...].firstIndex(of: "\n") { end = rest.index(after: newline) }
            pieces.append(String(rest[..<end]))
            rest = rest[end...]
        }
        return pieces
    }
}
