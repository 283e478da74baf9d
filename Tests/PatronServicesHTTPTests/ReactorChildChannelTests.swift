import Hummingbird
import HummingbirdCore
import HummingbirdTesting
import Postgres
import Testing

@testable import PatronServicesHTTP

/// The HTTP server runs each connection's task on a Postgres reactor, so that a handler's statement
/// resumes it on the thread that read the answer.
@Suite("HTTP connections run on the Postgres reactors")
struct ReactorChildChannelTests {
    @Test("every request of an HTTP connection is handled on one Postgres reactor's thread")
    func handlersRunOnAReactor() async throws {
        let router = Router()
        router.get("reactor") { _, _ -> String in
            guard let reactor = PostgresReactor.current else { return "none" }
            return String(PostgresReactor.group.firstIndex { $0 === reactor } ?? -1)
        }
        let app = Application(
            router: router,
            server: HTTPServerBuilder { ReactorChildChannel(inner: HTTP1Channel(responder: $0)) },
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            var answers: Set<String> = []
            for _ in 0..<5 {
                try await client.execute(uri: "/reactor", method: .get) { response in
                    #expect(response.status == .ok)
                    answers.insert(String(buffer: response.body))
                }
            }
            #expect(answers.count == 1)
            let index = try #require(answers.first.flatMap { Int($0) })
            #expect(PostgresReactor.group.indices.contains(index))
        }
    }
}
