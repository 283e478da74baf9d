import Foundation
import HTTPTypes
import Hummingbird
import PatronServices
import Postgres

/// Online patron account updates: the PAC side (options, submit, opt-outs) and the staff side
/// (Patron Access Options, the change-request queue, per-field decisions).
struct AccountUpdatesController {
    let db: Database
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    struct AccessOptionsChange: Decodable {
        var level: SettingLevel
        var institutionId: Int64?
        var branchId: Int64?
        var options: [String: DecodedJSON]
    }

    struct Decision: Decodable {
        var decision: ChangeDecision
        var reason: String?
    }

    func registerPAC(_ endpoints: Endpoints) {
        typealias Q = AccountUpdateQueries
        endpoints.on(.get, "options") { request, context in
            try await db.pacJSON(request, context, sessionRequired: false, Q.options)
        }
        endpoints.on(.post, "change-requests") { request, context in
            let key = request.headers[Self.idempotencyKey]
            if let key, key.isEmpty || key.count > 200 {
                throw Problem(.badRequest, code: "invalid_idempotency_key", detail: "Idempotency-Key must be 1 to 200 characters.")
            }
            let changes = try await request.decodeJSONObject(context: context)
            return try await db.pacJSON(request, context, sessionRequired: true, Q.submitChangeRequest(changes, idempotencyKey: key))
        }
        endpoints.on(.put, "notice-opt-outs") { request, context in
            let body = try await request.decodeJSONObject(context: context)
            return try await db.pacJSON(request, context, sessionRequired: true, Q.updateNoticeOptOuts(body))
        }
    }

    func registerStaff(_ endpoints: Endpoints) {
        endpoints.on(.get, "patron-access-options/branches/:id", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, SettingsQueries.branchAccessOptions(try context.id("id")), notFound: "branch")
        }
        endpoints.on(.put, "patron-access-options", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSON(AccessOptionsChange.self, context: context)
            if body.level == .branch, body.branchId == nil {
                throw Problem.validation([.init(field: "branchId", code: "required", message: "Give the branch.")])
            }
            let scope = body.level.scope(institution: body.institutionId, branch: body.branchId)
            return try await db.staffJSON(request, context, SettingsQueries.saveAccessOptions(level: body.level,
                institution: scope.institution, branch: scope.branch, options: try PostgresJSON(encoding: body.options)))
        }
        for (method, add) in [(HTTPRequest.Method.put, true), (.delete, false)] {
            endpoints.on(method, "patron-access-options/patron-codes/:code", roles: StaffRole.admins) { request, context in
                guard let code = context.parameters.get("code"), (1...40).contains(code.count), !code.contains("\u{0}") else {
                    throw Problem.notFound("patron code")
                }
                guard let level = SettingLevel(rawValue: try request.query("level") ?? "library") else {
                    throw Problem(.badRequest, code: "invalid_query", detail: "level is system, library or branch.",
                        errors: [.init(field: "level", code: "invalid", message: "system, library or branch.")])
                }
                return try await db.staffJSON(request, context, SettingsQueries.editUpdatePatronTypes(level: level,
                    institution: try request.queryID("institutionId"), branch: try request.queryID("branchId"), code: code, add: add))
            }
        }
        endpoints.on(.get, "change-requests", roles: StaffRole.circulation + [.reportReader]) { request, context in
            try await db.staffJSON(request, context,
                AccountUpdateQueries.queue(branch: try request.queryID("branchId"),
                    minAgeHours: try request.queryID("minAgeHours").map { min($0, 876_000) },
                    afterRequestId: try request.queryID("afterRequestId"), limit: min(try request.queryID("limit") ?? 500, 5000)),
                notFound: "change request")
        }
        endpoints.on(.post, "change-requests/:id/fields/:field/decision", roles: StaffRole.circulation) { request, context in
            let body = try await request.decodeJSON(Decision.self, context: context)
            guard let field = context.parameters.get("field").flatMap(ChangeField.init(rawValue:)) else { throw Problem.notFound("field") }
            return try await db.staffJSON(request, context,
                AccountUpdateQueries.decide(request: try context.id("id"), field: field, decision: body.decision, reason: body.reason),
                notFound: "change request")
        }
        endpoints.on(.get, "patrons/:id/change-history", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, AccountUpdateQueries.changeHistory(patron: try context.id("id")), notFound: "patron")
        }
    }
}
