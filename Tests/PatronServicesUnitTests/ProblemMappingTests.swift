import Foundation
import HTTPTypes
import PatronServices
import Testing

@testable import PatronServicesHTTP
@testable import Postgres

/// How errors become problems, without a database: the mapping is pure.
@Suite("Problem mapping: SQL errors and bad bodies become stable 4xx codes")
struct ProblemMappingTests {
    func serverError(_ state: String, message: String = "", hint: String? = nil, constraint: String? = nil, table: String? = nil,
                     column: String? = nil) -> PostgresError {
        PostgresError(kind: .server, sqlState: SQLState(state), message: message, detail: "Human text.", hint: hint,
            constraint: constraint, table: table, column: column)
    }

    @Test("a rule violation raised as PSnnn answers status nnn with the message as code and the hint's fields")
    func ruleViolation() throws {
        let problem = try #require(Problem.from(serverError("PS422", message: "validation_failed", hint: "email:invalid_email,postalCode:required")))
        #expect(problem.status.code == 422)
        #expect(problem.code == "validation_failed")
        #expect(problem.detail == "Human text.")
        #expect(problem.errors.map(\.field) == ["email", "postalCode"])
        #expect(problem.errors.map(\.code) == ["invalid_email", "required"])
        #expect(problem.errors.first?.message == "Not a valid e-mail address.")
    }

    @Test("a column check violation names the column as a camelCase field")
    func checkViolationField() throws {
        let problem = try #require(Problem.from(serverError("23514", constraint: "library_time_zone_check", table: "library")))
        #expect(problem.status == .unprocessableContent)
        #expect(problem.errors.map(\.field) == ["timeZone"])
    }

    @Test("a taken barcode is 409 barcode_taken; a missing value 422 required")
    func constraintCodes() throws {
        #expect(Problem.from(serverError("23505", constraint: "patron_barcode_key"))?.code == "barcode_taken")
        let missing = try #require(Problem.from(serverError("23502", column: "first_name")))
        #expect(missing.errors.map(\.field) == ["firstName"])
    }

    @Test("an unreachable database is 503 database_unavailable with Retry-After; an unknown SQL error is a bug (nil: 500)")
    func unavailableAndUnknown() throws {
        let problem = try #require(Problem.from(PostgresError(kind: .poolTimeout, message: "no connection")))
        #expect(problem.status == .serviceUnavailable)
        #expect(problem.headers[.retryAfter] == "1")
        #expect(Problem.from(serverError("XX000")) == nil)
        #expect(Problem.from(serverError("P0001", message: "boom")) == nil)
    }

    struct Body: Decodable { var amountMinor: Int64 }

    /// The problem a body answers when it does not decode as ``Body``.
    func problem(_ json: String) -> Problem? {
        do {
            _ = try JSONDecoder.api().decode(Body.self, from: Data(json.utf8))
            return nil
        } catch {
            return (error as? DecodingError).map(Problem.fromDecoding)
        }
    }

    @Test("text that is not JSON is 400 malformed_json; JSON of the wrong type 422 wrong_type naming the field")
    func decodingErrors() throws {
        #expect(problem("{")?.code == "malformed_json")
        let wrongType = problem(#"{"amountMinor": "ten"}"#)
        #expect(wrongType?.status == .unprocessableContent)
        #expect(wrongType?.errors.map(\.field) == ["amountMinor"])
        #expect(wrongType?.errors.map(\.code) == ["wrong_type"])
        #expect(problem("{}")?.errors.map(\.code) == ["required"])
    }
}
