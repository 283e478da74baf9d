import Foundation
import Hummingbird
import PatronServices
import Postgres

/// Notification policies, notice templates (saved only when they parse and name known variables,
/// previewed for a patron), a patron's notice history, the outbox, resending and Contact patron.
struct NoticesController {
    let db: Database

    /// A template may hold 500 + 20,000 + 100,000 characters (subject, text, HTML), which JSON can write
    /// in up to six bytes each (`\uXXXX`): its routes take bodies up to 1 MiB, not `http.maxBodyBytes`.
    static let templateBodyLimit = 1 << 20

    func register(_ endpoints: Endpoints) {
        typealias Q = NoticeQueries
        endpoints.on(.get, "notification-policies", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.notificationPolicies)
        }
        endpoints.on(.post, "notification-policies", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSONObject(context: context)
            return try await db.staffJSON(request, context, Q.saveNotificationPolicy(nil, body), status: .created)
        }
        endpoints.on(.get, "notification-policies/:id", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.notificationPolicy(try context.id("id")), notFound: "notification policy")
        }
        endpoints.on(.patch, "notification-policies/:id", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSONObject(context: context)
            return try await db.staffJSON(request, context, Q.saveNotificationPolicy(try context.id("id"), body), notFound: "notification policy")
        }
        endpoints.on(.delete, "notification-policies/:id", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context, Q.deleteNotificationPolicy(try context.id("id")), notFound: "notification policy")
        }

        endpoints.on(.get, "notice-templates", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.templates(kind: try request.query("kind")))
        }
        endpoints.on(.post, "notice-templates", roles: StaffRole.admins, bodyLimit: Self.templateBodyLimit) { request, context in
            let (body, tags) = try await Self.decodeTemplate(request, context)
            return try await db.staffJSON(request, context, Q.saveTemplate(nil, body, tags: tags), status: .created)
        }
        endpoints.on(.get, "notice-templates/:id", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.template(try context.id("id")), notFound: "template")
        }
        endpoints.on(.put, "notice-templates/:id", roles: StaffRole.admins, bodyLimit: Self.templateBodyLimit) { request, context in
            let id = try context.id("id")
            let (body, tags) = try await Self.decodeTemplate(request, context)
            return try await db.staffJSON(request, context, Q.saveTemplate(id, body, tags: tags), notFound: "template")
        }
        endpoints.on(.delete, "notice-templates/:id", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context, Q.deleteTemplate(try context.id("id")), notFound: "template")
        }
        endpoints.on(.post, "notice-templates/:id/preview", roles: StaffRole.readers) { request, context in
            let id = try context.id("id")
            let body = try await request.decodeJSON(PreviewRequest.self, context: context)
            let result = try await db.staffQuery(request, context, Q.preview(template: id, patron: body.patronId))
            guard let text = result.first?.values.first ?? nil else { throw Problem.notFound("template or patron") }
            let notice = try PostgresJSON(text: text).decode(RenderableNotice.self)
            do {
                let rendered = try NoticeRenderer().render(notice)
                return try JSONResponse.make(["subject": rendered.subject, "text": rendered.text, "html": rendered.html])
            } catch {
                throw Problem(.conflict, code: "template_invalid", detail: "The stored template does not render: \(error).")
            }
        }

        endpoints.on(.get, "patrons/:id/notices", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.patronNotices(try context.id("id")), notFound: "patron")
        }
        endpoints.on(.post, "patrons/:id/contact", roles: StaffRole.circulation) { request, context in
            try await db.staffJSON(request, context, Q.contactPatron(try context.id("id")), status: .created, notFound: "patron")
        }
        endpoints.on(.get, "notices", roles: StaffRole.readers) { request, context in
            let status = try request.query("status")
            if let status, !["pending", "sent", "printed", "dead"].contains(status) {
                throw Problem(.badRequest, code: "invalid_query", detail: "status is pending, sent, printed or dead.",
                    errors: [.init(field: "status", code: "invalid", message: "Expected pending, sent, printed or dead.")])
            }
            let limit = try request.queryID("limit").map { min($0, 1_000) }
            return try await db.staffJSON(request, context, Q.outbox(status: status, kind: try request.query("kind"),
                after: try request.queryID("afterMessageId"), limit: limit.map(Int.init)))
        }
        endpoints.on(.post, "notices/:id/resend", roles: StaffRole.circulation) { request, context in
            try await db.staffJSON(request, context, Q.resend(try context.id("id")), status: .created, notFound: "notice")
        }
    }

    struct PreviewRequest: Decodable {
        var patronId: Int64
    }

    /// The body as the SQL function validates it, and the variables its parts name; 422 listing every
    /// part that does not parse.
    static func decodeTemplate(_ request: Request, _ context: AppRequestContext) async throws -> (PostgresJSON, PostgresJSON) {
        let object = try await request.decodeJSON([String: DecodedJSON].self, context: context)
        func text(_ key: String) -> String? { if case .string(let value)? = object[key] { value } else { nil } }
        let tags: [TemplateTag]
        do {
            tags = try NoticeTemplate.check(subject: text("subject") ?? "x", bodyText: text("bodyText") ?? "x", bodyHtml: text("bodyHtml"))
        } catch {
            throw Problem(.unprocessableContent, code: "validation_failed", detail: "The template does not parse.",
                errors: error.problems.map { .init(field: $0.part, code: "syntax", message: $0.message) })
        }
        return (try PostgresJSON(encoding: object), try PostgresJSON(encoding: tags))
    }
}
