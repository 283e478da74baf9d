import Foundation
import Hummingbird
import Logging
import PatronServices
import Postgres

/// Liveness, readiness, metrics and the API contract.
struct SystemController {
    let pool: PostgresPool
    let metrics: AppMetrics
    let openAPI: String

    func register(_ endpoints: Endpoints) {
        endpoints.on(.get, "health") { _, _ in
            try JSONResponse.make(["status": "ok"])
        }
        endpoints.on(.get, "ready") { _, context in
            do {
                _ = try await pool.query(SystemQueries.ping)
                return try JSONResponse.make(["status": "ready"])
            } catch {
                context.logger.warning("not ready", metadata: ["error": "\(error)"])
                throw Problem(.serviceUnavailable, code: "database_unavailable", detail: "The database is not reachable.",
                    headers: [.retryAfter: "1"])
            }
        }
        endpoints.on(.get, "metrics") { _, context in
            // The outbox figures come from the database; a scrape while it is down still gets the rest.
            do {
                let figures = try await pool.transactionalQuery(NoticeQueries.metrics, options: NoticeQueries.systemOptions("system:metrics"))
                    .scalar(PostgresJSON.self).decode(AppMetrics.OutboxFigures.self)
                metrics.recordOutbox(figures)
            } catch {
                context.logger.warning("outbox figures unavailable", metadata: ["error": "\(error)"])
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.render(pool: pool))))
        }
        endpoints.on(.get, "openapi.yaml") { request, _ in
            // Some generators read only text/plain: they may ask for it.
            let accept = request.headers[.accept] ?? ""
            let type = accept.contains("text/plain") && !accept.contains("application/yaml") ? "text/plain; charset=utf-8" : "application/yaml"
            return Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: openAPI)))
        }
    }
}
