import HTTPTypes
import Hummingbird
import Logging
import Postgres

/// Turns every error into `application/problem+json`: known ones into their 4xx/503, unknown ones
/// into a 500 `internal_error` whose details go to the log (with the request id), never to the client.
/// An unknown route answers 404, a known route with the wrong method 405 with `Allow`.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var problem: Problem
            if let known = Problem.from(error) {
                problem = known
            } else {
                // The debug description (every server field) goes to the log only; the PL/pgSQL context
                // names the function and line that raised it.
                var metadata: Logger.Metadata = ["error": "\(String(reflecting: error))"]
                if let postgres = error as? PostgresError, let where_ = postgres.server.context { metadata["pg.context"] = "\(where_)" }
                context.logger.error("unhandled error", metadata: metadata)
                problem = Problem(.internalServerError, code: "internal_error", detail: "An unexpected error occurred; it has been logged.")
            }
            if problem.status == .notFound, context.endpointPath == "NotFound" {
                let allowed = routes.methods(matching: request.uri.path)
                if allowed.isEmpty {
                    problem = Problem(.notFound, code: "route_not_found", detail: "There is no route \(request.uri.path).")
                } else {
                    problem = Problem(.methodNotAllowed, code: "method_not_allowed",
                        detail: "\(request.method.rawValue) is not allowed here.",
                        headers: [.allow: allowed.map(\.rawValue).joined(separator: ", ")])
                }
            }
            return try problem.response(from: request, context: context)
        }
    }
}
