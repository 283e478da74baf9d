import Hummingbird

/// Refuses bodies over the configured size with 413 before any handler reads them; import uploads
/// (`POST /staff/v1/imports`) have their own, larger limit.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let limit: Int
    var importLimit: Int = 0

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let limit = request.method == .post && request.uri.path == "/staff/v1/imports" ? max(importLimit, self.limit) : self.limit
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw HTTPError(.contentTooLarge)
        }
        var request = request
        // Bodies without a Content-Length (chunked) are collected up to the limit.
        _ = try await request.collectBody(upTo: limit)
        return try await next(request, context)
    }
}
