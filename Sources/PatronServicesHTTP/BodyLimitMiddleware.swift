import Hummingbird

/// Refuses bodies over the configured size with 413 before any handler reads them.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let limit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw HTTPError(.contentTooLarge)
        }
        var request = request
        // Bodies without a Content-Length (chunked) are collected up to the limit.
        _ = try await request.collectBody(upTo: limit)
        return try await next(request, context)
    }
}
