import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Takes the request id from `X-Request-Id` (if it is short and plain) or makes one, puts it in the
/// logger's metadata and on the response.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let header = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let offered = request.headers[Self.header] ?? ""
        let acceptable = !offered.isEmpty && offered.utf8.count <= 128
            && offered.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "-_.:".unicodeScalars.contains($0)) }
        context.requestID = acceptable ? offered : UUID().uuidString.lowercased()
        // One request id per log line: ours (echoed to the client) replaces Hummingbird's own.
        context.logger[metadataKey: "hb.request.id"] = nil
        context.logger[metadataKey: "request.id"] = "\(context.requestID)"
        var response = try await next(request, context)
        response.headers[Self.header] = context.requestID
        return response
    }
}
