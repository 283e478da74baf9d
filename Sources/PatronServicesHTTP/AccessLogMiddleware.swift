import Hummingbird
import Logging

/// One line at info per request: method, route pattern (never the raw path or a query string value,
/// which may carry barcodes), status and duration. Errors are answered by ``ProblemMiddleware`` inside
/// this one, so the status logged is the one sent.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        context.logger.info("request", metadata: [
            "http.method": "\(request.method.rawValue)", "http.route": "\(context.endpointPath ?? "NotFound")",
            "http.status": "\(response.status.code)",
            "http.duration_ms": "\(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)",
        ])
        return response
    }
}
