import Foundation
import PatronServicesTesting
import Testing

/// The checker every HTTP test's answers pass through (``OpenAPIContract``) refuses what the document
/// does not declare; these answers are made up, so each refusal is certain.
@Suite("The contract checker")
struct ContractCheckerTests {
    let contract = try! OpenAPIContract(yaml: """
        openapi: 3.1.0
        info: {title: t, version: '1'}
        x-headers-on-every-response: [X-Request-Id]
        paths:
          /things/{id}:
            get:
              responses:
                '200':
                  description: OK
                  headers:
                    ETag: {schema: {type: string}}
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Thing'}
        components:
          schemas:
            Thing:
              type: object
              additionalProperties: false
              required: [id, at]
              properties:
                id: {type: integer, minimum: 1}
                at: {type: string, format: date-time}
                note: {type: [string, 'null']}
                kind: {type: string, enum: [a, b]}
        """)

    func check(status: Int = 200, headers: [(String, String)] = [("Content-Type", "application/json")], _ body: String) throws {
        try contract.check(method: "GET", uri: "/things/7?x=1", status: status, headers: headers.map { (name: $0.0, value: $0.1) },
                           body: Array(body.utf8))
    }

    @Test("a declared answer passes: its operation, status, headers and every property as declared")
    func declaredAnswerPasses() throws {
        try check(headers: [("Content-Type", "application/json"), ("X-Request-Id", "r"), ("ETag", "e")],
                  #"{"id": 7, "at": "2026-11-25T10:00:00Z", "note": null, "kind": "a"}"#)
    }

    @Test("undeclared status, header, property, content type or operation; a missing, mistyped or out-of-range value: each refused")
    func violationsAreRefused() {
        let ok = #"{"id": 7, "at": "2026-11-25T10:00:00Z"}"#
        #expect(throws: OpenAPIContract.Violation.self) { try check(status: 201, ok) }
        #expect(throws: OpenAPIContract.Violation.self) { try check(headers: [("Content-Type", "application/json"), ("Retry-After", "3")], ok) }
        #expect(throws: OpenAPIContract.Violation.self) { try check(#"{"id": 7, "at": "2026-11-25T10:00:00Z", "secret": "x"}"#) }
        #expect(throws: OpenAPIContract.Violation.self) { try check(headers: [("Content-Type", "text/html")], "<p>") }
        #expect(throws: OpenAPIContract.Violation.self) { try check(#"{"id": 7}"#) }
        #expect(throws: OpenAPIContract.Violation.self) { try check(#"{"id": "7", "at": "2026-11-25T10:00:00Z"}"#) }
        #expect(throws: OpenAPIContract.Violation.self) { try check(#"{"id": 0, "at": "2026-11-25T10:00:00Z"}"#) }
        #expect(throws: OpenAPIContract.Violation.self) { try check(#"{"id": 7, "at": "yesterday"}"#) }
        #expect(throws: OpenAPIContract.Violation.self) { try check(#"{"id": 7, "at": "2026-11-25T10:00:00Z", "kind": "c"}"#) }
        #expect(throws: OpenAPIContract.Violation.self) { try check(#"{"id": true, "at": "2026-11-25T10:00:00Z"}"#) }
        #expect(throws: OpenAPIContract.Violation.self) {
            try contract.check(method: "POST", uri: "/things/7", status: 200, headers: [], body: [])
        }
    }
}
