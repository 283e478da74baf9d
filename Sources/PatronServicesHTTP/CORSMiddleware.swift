import HTTPTypes
import Hummingbird

/// Cross-origin access for PAC web front ends on other origins: the global list
/// (`http.cors.allowedOrigins`, any route) and each PAC client key's own origins (PAC routes, that key).
///
/// A preflight (`OPTIONS` with `Access-Control-Request-Method`) from an allowed origin is answered 204
/// with the methods the route allows and the headers the API reads; from any other origin, 403
/// `origin_not_allowed`. An origin outside the global list is allowed on `/pac/v1` routes when some live
/// key lists it; the request itself carries the origin into SQL (``AppRequestContext/browserOrigin``),
/// where the key must list it. Actual answers to an allowed origin name that origin, never `*`:
/// requests carry credentials (a staff token, a PAC key, a patron session) in headers.
struct CORSMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let allowedOrigins: Set<String>
    let routes: RouteTable
    let keyOrigins: PACOriginDirectory

    static let requestMethod = HTTPField.Name("Access-Control-Request-Method")!
    static let allowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!
    static let allowMethods = HTTPField.Name("Access-Control-Allow-Methods")!
    static let allowHeaders = HTTPField.Name("Access-Control-Allow-Headers")!
    static let exposeHeaders = HTTPField.Name("Access-Control-Expose-Headers")!
    static let maxAge = HTTPField.Name("Access-Control-Max-Age")!
    static let origin = HTTPField.Name("Origin")!
    static let vary = HTTPField.Name("Vary")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[Self.origin] else { return try await next(request, context) }
        var context = context
        var allowed = allowedOrigins.contains(origin)
        if !allowed, request.uri.path.hasPrefix("/pac/v1/") {
            // The key must list the origin, whatever the preflight memory says (checked in SQL); an
            // origin longer than any a key may list is not looked up.
            context.browserOrigin = origin
            allowed = origin.utf8.count <= 300 ? await keyOrigins.isKnown(origin) : false
        }
        if request.method == .options, let asked = request.headers[Self.requestMethod] {
            // This middleware sits outside the problem middleware (so error answers get CORS headers
            // too): its own refusals are answered here.
            guard allowed else {
                return try Problem(.forbidden, code: "origin_not_allowed", detail: "This origin may not call the API from a browser.")
                    .response(from: request, context: context)
            }
            let methods = routes.methods(matching: request.uri.path)
            guard !methods.isEmpty else {
                return try Problem(.notFound, code: "route_not_found", detail: "There is no route \(request.uri.path).")
                    .response(from: request, context: context)
            }
            guard methods.contains(where: { $0.rawValue == asked }) else {
                return try Problem(.methodNotAllowed, code: "method_not_allowed", detail: "\(asked) is not allowed here.",
                    headers: [.allow: methods.map(\.rawValue).joined(separator: ", ")]).response(from: request, context: context)
            }
            var headers: HTTPFields = [
                Self.allowOrigin: origin, Self.vary: "Origin",
                Self.allowMethods: methods.map(\.rawValue).joined(separator: ", "),
                Self.allowHeaders: "Authorization, Content-Type, X-PAC-Client-Key, Idempotency-Key, X-Request-Id",
                Self.maxAge: "600",
            ]
            headers[.contentLength] = "0"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers[Self.vary] = "Origin"
        if allowed {
            response.headers[Self.allowOrigin] = origin
            response.headers[Self.exposeHeaders] = "X-Request-Id, Retry-After"
        }
        return response
    }
}
