import HTTPTypes
import Hummingbird
import NIOCore
import Postgres

extension Problem {
    /// The problem a thrown error stands for, or nil when it is a bug (answered 500).
    ///
    /// SQL functions report rule violations with `raise exception ... using errcode = 'PSxxx'` where
    /// `xxx` is the HTTP status, the message is the stable code and the detail the human text; the hint,
    /// when present, names the offending fields as `field:code` pairs separated by commas.
    static func from(_ error: any Error) -> Problem? {
        switch error {
        case let problem as Problem:
            return problem
        case let error as PostgresError:
            return from(postgres: error)
        case let error as HTTPError:
            switch error.status {
            case .contentTooLarge:
                return Problem(.contentTooLarge, code: "payload_too_large", detail: "The request body is larger than allowed.")
            case .notFound:
                return .notFound()
            default:
                return Problem(error.status, code: error.status.code < 500 ? "bad_request" : "unavailable",
                    detail: error.body ?? error.status.reasonPhrase)
            }
        case is NIOTooManyBytesError:
            // A chunked body that grew past the limit while being read.
            return Problem(.contentTooLarge, code: "payload_too_large", detail: "The request body is larger than allowed.")
        case is CancellationError:
            return Problem(.serviceUnavailable, code: "cancelled", detail: "The request was cancelled.")
        default:
            return nil
        }
    }

    static let fieldMessages = [
        "not_found": "No such value.", "required": "This field is required.", "invalid": "This value is not allowed.",
        "invalid_email": "Not a valid e-mail address.", "postal_code_not_found": "Postal code not found.",
        "invalid_postal_code_format": "Invalid postal code format.", "invalid_phone": "Not a valid phone number.",
        "taken": "Already in use.", "exceeds_balance": "More than the balance.", "system_level_only": "Can only be set at system level.", "wrong_type": "Wrong type of value.",
    ]

    /// The status with its reason phrase, for the codes SQL functions raise.
    static func standardStatus(_ code: Int) -> HTTPResponse.Status {
        let known: [HTTPResponse.Status] = [
            .badRequest, .unauthorized, .forbidden, .notFound, .conflict, .gone, .preconditionFailed, .unprocessableContent,
            .tooManyRequests,
        ]
        return known.first { $0.code == code } ?? HTTPResponse.Status(code: code, reasonPhrase: "Client Error")
    }

    static func from(postgres error: PostgresError) -> Problem? {
        switch error.kind {
        case .poolBusy:
            return Problem(.serviceUnavailable, code: "busy", detail: "The service is at capacity; retry shortly.",
                headers: [.retryAfter: "1"])
        case .poolTimeout, .poolClosed, .connectionFailed, .connectionClosed:
            return Problem(.serviceUnavailable, code: "database_unavailable", detail: "The database is not reachable; retry shortly.",
                headers: [.retryAfter: "1"])
        case .cancelled:
            return Problem(.serviceUnavailable, code: "query_timeout", detail: "The database took too long to answer.")
        case .client where error.sqlState == SQLState("22021"):
            return Problem(.badRequest, code: "invalid_value", detail: "Text may not contain the NUL character.")
        case .decoding, .client:
            return nil
        case .server:
            break
        }
        guard let state = error.sqlState else { return nil }
        if state.errorClass == "PS", let status = Int(state.rawValue.dropFirst(2)), (400..<500).contains(status) {
            let errors = (error.hint ?? "").split(separator: ",").compactMap { pair -> FieldError? in
                let parts = pair.split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { return nil }
                return FieldError(field: parts[0], code: parts[1], message: fieldMessages[parts[1]] ?? (error.detail ?? error.message))
            }
            if status == 422, !errors.isEmpty, errors.allSatisfy({ $0.code == "not_found" }) {
                // Every field names an id the caller cannot see (unknown, or another library's): the same
                // 404 a path id gets, with the fields, so that no body can tell the two apart.
                return Problem(.notFound, code: "reference_not_found", detail: error.detail ?? error.message, errors: errors)
            }
            return Problem(standardStatus(status), code: error.message, detail: error.detail ?? error.message, errors: errors)
        }
        switch state {
        case .uniqueViolation where error.constraint == "patron_barcode_key" || error.constraint == "item_barcode_key":
            return Problem(.conflict, code: "barcode_taken", detail: "That barcode is already in use.",
                errors: [FieldError(field: "barcode", code: "taken", message: "That barcode is already in use.")])
        case .uniqueViolation:
            return Problem(.conflict, code: "conflict", detail: "It already exists.")
        case .foreignKeyViolation:
            return Problem(.notFound, code: "reference_not_found", detail: "It refers to something that does not exist.")
        case .checkViolation:
            // PostgreSQL names column checks "<table>_<column>_check": report the column as the field.
            var errors: [FieldError] = []
            if let constraint = error.constraint, let table = error.table, constraint.hasPrefix(table + "_"), constraint.hasSuffix("_check") {
                let column = constraint.dropFirst(table.count + 1).dropLast(6)
                let words = column.split(separator: "_")
                let field = (words.first.map(String.init) ?? "") + words.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
                errors.append(FieldError(field: field, code: "invalid", message: "This value is not allowed."))
            }
            return Problem(.unprocessableContent, code: "validation_failed", detail: "A value breaks a rule.", errors: errors)
        case .notNullViolation:
            let field = error.column.map { column -> FieldError in
                let words = column.split(separator: "_")
                let name = (words.first.map(String.init) ?? "") + words.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
                return FieldError(field: name, code: "required", message: "This field is required.")
            }
            return Problem(.unprocessableContent, code: "validation_failed", detail: "A required value is missing.", errors: field.map { [$0] } ?? [])
        case .exclusionViolation:
            return Problem(.conflict, code: "conflict", detail: "It overlaps with something that exists.")
        case .invalidTextRepresentation, SQLState("22003"), SQLState("22007"), SQLState("22008"), SQLState("22023"),
            SQLState("22021"), SQLState("22P05"):
            // Out of range, bad dates, and text PostgreSQL cannot store (a NUL in a query parameter).
            return Problem(.badRequest, code: "invalid_value", detail: "A value has the wrong form.")
        case .serializationFailure, .deadlockDetected, .lockNotAvailable:
            return Problem(.conflict, code: "concurrent_update", detail: "Someone else changed it at the same time; retry.")
        case .insufficientPrivilege:
            return Problem(.forbidden, code: "forbidden", detail: "Not allowed.")
        default:
            return nil
        }
    }
}
