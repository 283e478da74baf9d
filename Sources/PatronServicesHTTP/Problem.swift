import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An RFC 9457 problem: every error the API returns, with a stable machine-readable `code`.
public struct Problem: Error, HTTPResponseError, Sendable, Equatable {
    /// One offending input field of a validation problem.
    public struct FieldError: Codable, Sendable, Equatable {
        /// A JSON-pointer-like path, e.g. `address.postalCode`.
        public var field: String
        public var code: String
        public var message: String

        public init(field: String, code: String, message: String) {
            self.field = field
            self.code = code
            self.message = message
        }
    }

    public var status: HTTPResponse.Status
    public var code: String
    public var detail: String
    public var errors: [FieldError]
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, detail: String, errors: [FieldError] = [], headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = headers
    }

    struct Body: Encodable {
        var type: String
        var title: String
        var status: Int
        var code: String
        var detail: String
        var instance: String
        var requestId: String?
        var errors: [FieldError]?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(
            type: "urn:patron-services:problem:\(code)", title: status.reasonPhrase, status: status.code, code: code,
            detail: detail, instance: request.uri.path, requestId: (context as? AppRequestContext)?.requestID,
            errors: errors.isEmpty ? nil : errors)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(body))))
    }
}

extension Problem {
    static func notFound(_ what: String = "resource") -> Problem {
        Problem(.notFound, code: "not_found", detail: "No such \(what).")
    }

    static func validation(_ errors: [FieldError]) -> Problem {
        Problem(.unprocessableContent, code: "validation_failed", detail: "The request has invalid fields.", errors: errors)
    }
}
