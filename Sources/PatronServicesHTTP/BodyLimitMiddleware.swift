import Hummingbird

/// Refuses bodies over the configured size with 413 before any handler reads them; a route registered
/// with its own limit (an upload) gets that one instead.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let limit: Int
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let limit = routes.bodyLimit(request.method, request.uri.path) ?? self.limit
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw HTTPError(.contentTooLarge)
        }
        var request = request
        // Bodies without a Content-Length (chunked) are collected up to the limit.
        _ = try await request.collectBody(upTo: limit)
        return try await next(request, context)
    }
}
