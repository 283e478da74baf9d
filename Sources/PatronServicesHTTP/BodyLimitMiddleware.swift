import Hummingbird

/// Refuses bodies over the configured size with 413 before any handler reads them; a route registered
/// with its own limit (an upload) gets that one instead.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let limit: Int
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Without Content-Length or Transfer-Encoding an HTTP/1.1 request has no body (RFC 9112 §6.3):
        // nothing to limit or collect, and most requests (every GET) are such.
        if request.headers[.contentLength] == nil && request.headers[.transferEncoding] == nil {
            return try await next(request, context)
        }
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
