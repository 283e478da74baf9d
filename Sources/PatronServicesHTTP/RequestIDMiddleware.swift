import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Takes the request id from `X-Request-Id` (if it is short and plain) or makes one, puts it in the
/// logger's metadata and on the response.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let header = HTTPField.Name("X-Request-Id")!
    private static let hexDigits = Array("0123456789abcdef".utf8)

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let offered = request.headers[Self.header] ?? ""
        let acceptable = !offered.isEmpty && offered.utf8.count <= 128
            && offered.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "-_.:".unicodeScalars.contains($0)) }
        context.requestID = acceptable ? offered : Self.randomID()
        // One request id per log line: ours (echoed to the client) replaces Hummingbird's own.
        context.logger[metadataKey: "hb.request.id"] = nil
        context.logger[metadataKey: "request.id"] = "\(context.requestID)"
        var response = try await next(request, context)
        response.headers[Self.header] = context.requestID
        return response
    }

    /// A random (version 4) UUID in lowercase text, from the system generator (`getrandom`): Foundation's
    /// `UUID()` opened and read /dev/urandom for each one, 2% of the service's CPU per request.
    static func randomID() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = (generator.next() as UInt64) & 0xffff_ffff_ffff_0fff | 0x4000  // version 4
        let low = (generator.next() as UInt64) & 0x3fff_ffff_ffff_ffff | 0x8000_0000_0000_0000  // RFC 4122 variant
        return String(unsafeUninitializedCapacity: 36) { text in
            var at = 0
            for (index, shift) in stride(from: 124, through: 0, by: -4).enumerated() {
                if index == 8 || index == 12 || index == 16 || index == 20 {
                    text[at] = UInt8(ascii: "-")
                    at += 1
                }
                let word = shift >= 64 ? high >> (shift - 64) : low >> shift
                text[at] = hexDigits[Int(word & 0xf)]
                at += 1
            }
            return at
        }
    }
}
