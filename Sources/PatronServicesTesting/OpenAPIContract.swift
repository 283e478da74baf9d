import Foundation
import PatronServices
import Yams

/// The service's OpenAPI document as a checker of answers: every response a test receives must belong
/// to a declared operation and status, carry a declared content type, send no API header the response
/// does not declare, and have a body valid against the declared schema (objects with
/// `additionalProperties: false` refuse undeclared properties).
///
/// The JSON Schema subset the document uses: `$ref`, `type` (one or a list, `null` included), `enum`,
/// `properties`, `required`, `additionalProperties`, `items`, `allOf`/`anyOf`/`oneOf`, `minimum`,
/// `maximum`, and the `date`/`date-time` formats.
public final class OpenAPIContract: @unchecked Sendable {
    // @unchecked Sendable: `document` is parsed once in `init` and only read afterwards.
    private let document: [String: Any]
    private let operations: [(method: String, segments: [String], operation: [String: Any])]
    /// Headers every answer may carry without a declaration per response: HTTP's own, CORS, the
    /// security headers, and those the document lists in `x-headers-on-every-response`.
    private let commonHeaders: Set<String>

    /// The document in `Sources/PatronServicesHTTP/Resources/openapi.yaml`, parsed once.
    public static let service: OpenAPIContract = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("PatronServicesHTTP/Resources/openapi.yaml").path
        do {
            return try OpenAPIContract(yaml: String(contentsOfFile: path, encoding: .utf8))
        } catch {
            fatalError("openapi.yaml does not parse: \(error)")
        }
    }()

    public init(yaml: String) throws {
        guard let document = try Yams.load(yaml: yaml) as? [String: Any], let paths = document["paths"] as? [String: Any] else {
            throw Violation("not an OpenAPI document")
        }
        self.document = document
        var operations: [(String, [String], [String: Any])] = []
        for (path, item) in paths {
            for (method, operation) in (item as? [String: Any]) ?? [:] {
                if let operation = operation as? [String: Any] { operations.append((method.uppercased(), Self.segments(path), operation)) }
            }
        }
        self.operations = operations
        let listed = (document["x-headers-on-every-response"] as? [String]) ?? []
        commonHeaders = Set((["content-type", "content-length", "date", "server", "connection", "vary", "cache-control",
                              "x-content-type-options", "strict-transport-security", "transfer-encoding"] + listed).map { $0.lowercased() })
    }

    public struct Violation: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Checks one answer; throws a ``Violation`` naming every way it breaks the contract.
    public func check(method: String, uri: String, status: Int, headers: [(name: String, value: String)], body: [UInt8]) throws {
        let path = String(uri.split(separator: "?", maxSplits: 1).first ?? "")
        // The router answers unknown routes and methods itself (404 route_not_found, 405, and 413 for a
        // body over the limit before any route is chosen), and CORS preflights are answered before any
        // route: none of these belongs to an operation.
        guard method != "OPTIONS", let operation = operation(method: method, path: path) else {
            if method == "OPTIONS" || [404, 405, 413].contains(status) { return }
            throw Violation("\(method) \(path): no such operation in openapi.yaml")
        }
        let responses = (operation["responses"] as? [String: Any]) ?? [:]
        guard let declared = responses[String(status)] ?? responses["\(status / 100)XX"] ?? responses["default"] else {
            throw Violation("\(method) \(path): status \(status) is not declared")
        }
        let response = resolve(declared)
        var problems: [String] = []
        let declaredHeaders = Set(((response["headers"] as? [String: Any]) ?? [:]).keys.map { $0.lowercased() })
        for header in headers.map({ $0.name.lowercased() }) where !commonHeaders.contains(header) && !header.hasPrefix("access-control-") {
            if !declaredHeaders.contains(header) { problems.append("header \(header) is not declared") }
        }
        let contentType = headers.first { $0.name.lowercased() == "content-type" }?.value.split(separator: ";").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if let contentType, !body.isEmpty {
            let content = (response["content"] as? [String: Any]) ?? [:]
            if let media = content[contentType] as? [String: Any] {
                if contentType.hasSuffix("json"), let schema = media["schema"] as? [String: Any] {
                    do {
                        validate(try JSONDecoder().decode(DecodedJSON.self, from: Data(body)), schema, at: "$", into: &problems)
                    } catch {
                        problems.append("the body is not JSON")
                    }
                }
            } else {
                problems.append("content type \(contentType) is not declared")
            }
        }
        if !problems.isEmpty {
            let excerpt = String(decoding: body.prefix(300), as: UTF8.self)
            throw Violation("\(method) \(path) → \(status): " + problems.joined(separator: "; ") + " — body: \(excerpt)")
        }
    }

    static func segments(_ path: String) -> [String] { path.split(separator: "/").map(String.init) }

    /// The operation whose path template matches, preferring literal segments over parameters.
    func operation(method: String, path: String) -> [String: Any]? {
        let actual = Self.segments(path)
        return operations
            .filter { $0.method == method && $0.segments.count == actual.count
                && zip($0.segments, actual).allSatisfy { template, value in template.hasPrefix("{") || template == value } }
            .max { a, b in a.segments.filter { !$0.hasPrefix("{") }.count < b.segments.filter { !$0.hasPrefix("{") }.count }?
            .operation
    }

    /// Follows `$ref` (`#/components/…`) until an object without one.
    func resolve(_ node: Any) -> [String: Any] {
        var current = (node as? [String: Any]) ?? [:]
        while let reference = current["$ref"] as? String, reference.hasPrefix("#/") {
            var target: Any = document
            for key in reference.dropFirst(2).split(separator: "/") { target = ((target as? [String: Any]) ?? [:])[String(key)] ?? [:] }
            current = (target as? [String: Any]) ?? [:]
        }
        return current
    }
}
