import HTTPTypes
import Hummingbird

/// Headers on every answer: `X-Content-Type-Options: nosniff`; `Cache-Control: no-store` on answers to
/// authenticated requests (a staff token, a PAC key), so no cache keeps a patron's data; and
/// `Strict-Transport-Security` when `http.strictTransportSecurity` is set (behind TLS).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let strictTransportSecurity: String?

    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let strictTransport = HTTPField.Name("Strict-Transport-Security")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[Self.contentTypeOptions] = "nosniff"
        if request.headers[.authorization] != nil || request.headers[Database.clientKeyHeader] != nil {
            response.headers[.cacheControl] = "no-store"
        }
        if let strictTransportSecurity { response.headers[Self.strictTransport] = strictTransportSecurity }
        return response
    }
}
