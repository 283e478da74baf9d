import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Headers of a staff call: the bearer token and a JSON body.
public func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }

/// Headers of a PAC call: the client key and, when signed in, the patron session.
public func pacHeaders(_ key: String, session: String? = nil) -> HTTPFields {
    var fields: HTTPFields = [HTTPField.Name("X-PAC-Client-Key")!: key, .contentType: "application/json"]
    if let session { fields[.authorization] = "Bearer \(session)" }
    return fields
}

extension TestClientProtocol {
    /// A staff call: sends JSON with the token and returns status and body.
    public func call(_ method: HTTPRequest.Method, _ uri: String, token: String, json: String? = nil) async throws -> TestResponse {
        try await execute(uri: uri, method: method, headers: bearer(token), body: json.map { ByteBuffer(string: $0) })
    }

    /// A PAC call through the client key, signed in when `session` is given.
    public func pac(_ method: HTTPRequest.Method, _ uri: String, key: String, session: String? = nil, json: String? = nil) async throws
        -> TestResponse
    {
        try await execute(uri: uri, method: method, headers: pacHeaders(key, session: session), body: json.map { ByteBuffer(string: $0) })
    }
}

/// An `application/problem+json` body.
public struct ProblemBody: Decodable, Sendable {
    public struct FieldError: Decodable, Sendable, Equatable {
        public var field: String
        public var code: String
        public var message: String
    }
    public var type: String
    public var status: Int
    public var code: String
    public var detail: String
    public var requestId: String?
    public var errors: [FieldError]?
}

extension TestResponse {
    /// The body as a JSON object (empty when it is not one).
    public var object: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:] }
    /// The body as a JSON array of objects (empty when it is not one).
    public var array: [[String: Any]] { (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [[String: Any]] ?? [] }

    /// One condition of an eligibility answer (`conditions[].condition == name`).
    public func condition(_ name: String) -> [String: Any]? {
        (object["conditions"] as? [[String: Any]])?.first { $0["condition"] as? String == name }
    }

    /// The problem body, after checking the media type.
    public func problem(sourceLocation: SourceLocation = #_sourceLocation) throws -> ProblemBody {
        #expect(headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        return try JSONDecoder().decode(ProblemBody.self, from: Data(body.readableBytesView))
    }

    public func json<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
    }
}
