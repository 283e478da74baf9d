import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore

/// The test client every HTTP test gets from ``withApp``: it forwards each request to the real
/// application and checks the answer against `openapi.yaml` (``OpenAPIContract``) before the test sees
/// it, so an answer the contract does not declare fails the test that provoked it.
struct ContractCheckingClient: TestClientProtocol {
    let inner: any TestClientProtocol
    let contract: OpenAPIContract

    var port: Int? { inner.port }

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        let response = try await inner.executeRequest(uri: uri, method: method, headers: headers, body: body)
        if let file = ProcessInfo.processInfo.environment["CONTRACT_RECORD_REQUESTS"], let body, (200..<300).contains(Int(response.status.code)) {
            // Collects real, accepted request bodies (one JSON line each) to serve as the document's examples.
            Self.record(file: file, line: "{\"method\": \"\(method.rawValue)\", \"uri\": \"\(uri)\", \"body\": \(String(buffer: body))}\n")
        }
        try contract.check(
            method: method.rawValue, uri: uri, status: Int(response.status.code),
            headers: response.headers.map { ($0.name.canonicalName, $0.value) }, body: Array(buffer: response.body))
        return response
    }

    private static let recording = NSLock()
    private static func record(file: String, line: String) {
        recording.withLock {
            guard let handle = FileHandle(forWritingAtPath: file) ?? {
                _ = FileManager.default.createFile(atPath: file, contents: nil)
                return FileHandle(forWritingAtPath: file)
            }() else { return }
            handle.seekToEndOfFile()
            handle.write(Data(line.utf8))
            handle.closeFile()
        }
    }
}
