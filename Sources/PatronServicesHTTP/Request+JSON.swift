import Foundation
import Hummingbird
import PatronServices
import Postgres

extension Request {
    /// Decodes a JSON body, answering 400 `malformed_json` for text that is not JSON, 422
    /// `validation_failed` naming the field for JSON of the wrong shape, and 415 for another media type.
    func decodeJSON<T: Decodable>(_ type: T.Type, context: AppRequestContext, decoder: JSONDecoder = .api()) async throws -> T {
        let data = try await jsonBody(context: context)
        do {
            let value = try decoder.decode(T.self, from: data)
            try Self.refuseNUL(in: data)
            return value
        } catch let error as DecodingError {
            throw Problem.fromDecoding(error)
        }
    }

    /// The body's bytes, up to the route's limit; 415 for a media type other than JSON.
    private func jsonBody(context: AppRequestContext) async throws -> Data {
        if let contentType = headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            throw Problem(.unsupportedMediaType, code: "unsupported_media_type", detail: "Send application/json.")
        }
        var request = self
        return Data(try await request.collectBody(upTo: context.maxUploadSize).readableBytesView)
    }

    /// PostgreSQL cannot store U+0000 in text: a body that carries one (JSON can only spell it `\u0000`)
    /// is refused with 422 naming the field, before anything reaches the database.
    static func refuseNUL(in data: Data) throws {
        guard data.range(of: Data("\\u0000".utf8)) != nil || data.range(of: Data("\\U0000".utf8)) != nil else { return }
        guard let value = try? JSONDecoder().decode(DecodedJSON.self, from: data), let path = value.pathOfNUL() else { return }
        throw Problem.validation([.init(field: path, code: "nul_character", message: "Text may not contain the NUL character.")])
    }

    /// Reads the body as a JSON object without interpreting it, for a SQL function that validates every
    /// field itself (and so can name all the offending ones in one 422). The text goes to PostgreSQL as
    /// the client sent it, once it is known to be an object: re-encoding it would cost time and would
    /// round integers beyond a double's precision.
    func decodeJSONObject(context: AppRequestContext) async throws -> PostgresJSON {
        let data = try await jsonBody(context: context)
        do {
            _ = try JSONDecoder().decode([String: DecodedJSON].self, from: data)
        } catch let error as DecodingError {
            throw Problem.fromDecoding(error)
        }
        try Self.refuseNUL(in: data)
        return PostgresJSON(text: String(decoding: data, as: UTF8.self))
    }
}

extension JSONDecoder {
    /// The one decoder of request bodies: dates as strict ISO 8601 date-times (``StrictDate``).
    static func api() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = StrictDate.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container,
                    debugDescription: "An ISO 8601 date-time with a time zone, such as 2026-11-25T17:00:00Z, between the years 1900 and 9999.")
            }
            return date
        }
        return decoder
    }
}

extension Problem {
    static func fromDecoding(_ error: DecodingError) -> Problem {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return Problem(.badRequest, code: "malformed_json", detail: "The body is not valid JSON.")
        case .dataCorrupted(let context):
            return .validation([.init(field: path(context.codingPath), code: "invalid", message: context.debugDescription)])
        case .keyNotFound(let key, let context):
            return .validation([.init(field: path(context.codingPath + [key]), code: "required", message: "This field is required.")])
        case .typeMismatch(let type, let context):
            return .validation([.init(field: path(context.codingPath), code: "wrong_type", message: "Expected \(type).")])
        case .valueNotFound(let type, let context):
            return .validation([.init(field: path(context.codingPath), code: "required", message: "Expected \(type), got null.")])
        @unknown default:
            return Problem(.badRequest, code: "malformed_json", detail: "The body could not be read.")
        }
    }
}
