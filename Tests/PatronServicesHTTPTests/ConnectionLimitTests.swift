import Configuration
import Foundation
import HTTPTypes
import HummingbirdTesting
import PatronServicesTesting
import Testing

@testable import PatronServicesHTTP

/// Slow and idle clients against the real server on loopback (raw sockets, bounded in count and time).
@Suite("Connection limits: idle, slow and excess connections are closed; the service keeps answering")
struct ConnectionLimitTests {
    /// Short timeouts for the one being tested, long ones for the others (so a loaded machine does not
    /// close a connection the test still needs): each test asserts a close, never how soon.
    static func limits(header: Double = 60, body: Double = 60, idle: Double = 60, connections: Int = 4) -> [AbsoluteConfigKey: ConfigValue] {
        ["http.maxConnections": .init(.int(connections), isSecret: false), "http.requestHeaderTimeoutSeconds": .init(.double(header), isSecret: false),
         "http.requestBodyTimeoutSeconds": .init(.double(body), isSecret: false), "http.idleTimeoutSeconds": .init(.double(idle), isSecret: false)]
    }

    /// GET /health on a new connection, as a client arriving now would.
    func health(_ port: Int) async throws -> String? {
        let socket = try RawSocket(port: port)
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: socket.statusLine(of: "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")) }
        }
    }

    /// Runs a blocking socket read off the cooperative pool.
    func closed(_ socket: RawSocket) async -> (closed: Bool, text: String) {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: socket.readUntilClosed()) }
        }
    }

    @Test("a connection that sends nothing, or half a request head, is closed after the header timeout")
    func silentAndSlowHeads() async throws {
        try await withApp(Self.limits(header: 1), testing: .live) { client async throws in
            let port = try #require(client.port)
            let silent = try RawSocket(port: port)
            let slow = try RawSocket(port: port)
            slow.send("GET /health HTTP/1.1\r\nHost: x\r\n")  // never finishes its head
            #expect(await closed(silent).closed)
            #expect(await closed(slow).closed)
            #expect(try await health(port) == "HTTP/1.1 200 OK")
        }
    }

    @Test("a body that stops arriving is cut off after the body timeout")
    func slowBody() async throws {
        try await withApp(Self.limits(body: 1), testing: .live) { client async throws in
            let socket = try RawSocket(port: try #require(client.port))
            socket.send("POST /staff/v1/patrons HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\"")
            #expect(await closed(socket).closed)
        }
    }

    @Test("a kept-alive connection idle after its response is closed after the idle timeout")
    func idleKeepAlive() async throws {
        try await withApp(Self.limits(idle: 1), testing: .live) { client async throws in
            let socket = try RawSocket(port: try #require(client.port))
            socket.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            let result = await closed(socket)
            #expect(result.closed)
            #expect(result.text.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test("at the limit a newcomer is served in place of the connection idle longest: a flood of idle connections cannot keep /health out")
    func excessConnections() async throws {
        try await withApp(Self.limits(), testing: .live) { client async throws in
            let port = try #require(client.port)
            // The test client's own kept-alive connection is the first of the four, and the longest idle.
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            var held = try (0..<3).map { _ in try RawSocket(port: port) }
            for socket in held {
                let status = await withCheckedContinuation { continuation in
                    Thread.detachNewThread { continuation.resume(returning: socket.statusLine(of: "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")) }
                }
                #expect(status == "HTTP/1.1 200 OK")
            }
            // Four idle connections hold every slot; newcomers that stay are served, each in place of the
            // connection idle longest: the test client's, then the first held one.
            var newcomers: [RawSocket] = []
            for _ in 0..<2 {
                let socket = try RawSocket(port: port)
                let status = await withCheckedContinuation { continuation in
                    Thread.detachNewThread { continuation.resume(returning: socket.statusLine(of: "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")) }
                }
                #expect(status == "HTTP/1.1 200 OK")
                newcomers.append(socket)
            }
            let evicted = await closed(held.removeFirst())
            #expect(evicted.closed, "the longest-idle held connection made room")
            #expect(newcomers.count == 2)
        }
    }
}
