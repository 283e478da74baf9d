import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Synchronization
import Testing

@testable import PatronServicesHTTP

@Suite("The connection guard on one channel")
struct ConnectionGuardTests {
    /// An active (connected) channel with a guard over `registry`.
    func channel(
        _ registry: ConnectionRegistry = ConnectionRegistry(), max: Int = 10,
        header: TimeAmount = .seconds(10), body: TimeAmount = .seconds(10), idle: TimeAmount = .seconds(10)
    ) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let limits = ConnectionGuard.Limits(maxConnections: max, headerTimeout: header, bodyTimeout: body, idleTimeout: idle)
        try channel.pipeline.syncOperations.addHandler(ConnectionGuard(registry: registry, limits: limits))
        return channel
    }

    @Test("while the server drains, responses say Connection: close (a kept-alive client does not send into a closing connection)")
    func connectionCloseWhileDraining() throws {
        let channel = try channel(ConnectionRegistry())
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        guard case .head(let before) = try channel.readOutbound(as: HTTPResponsePart.self) else { Issue.record("no head"); return }
        #expect(before.headerFields[.connection] == nil)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        guard case .head(let after) = try channel.readOutbound(as: HTTPResponsePart.self) else { Issue.record("no head"); return }
        #expect(after.headerFields[.connection] == "close")
        _ = try channel.finish()
    }

    @Test("at the limit, a newcomer takes the place of the connection waiting longest for a request; with every connection busy, it is refused")
    func admission() throws {
        let registry = ConnectionRegistry()
        let first = try channel(registry, max: 2)
        let second = try channel(registry, max: 2)
        #expect(registry.count == 2)
        // Both wait for a request: the newcomer replaces the first, which has waited longest.
        let third = try channel(registry, max: 2)
        #expect(!first.isActive && second.isActive && third.isActive)
        #expect(registry.count == 2)
        // Both left are busy with a request: a newcomer is refused.
        for busy in [second, third] { try busy.writeInbound(HTTPRequestPart.head(HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/x"))) }
        let fourth = try channel(registry, max: 2)
        #expect(!fourth.isActive)
        #expect(second.isActive && third.isActive)
        #expect(registry.count == 2)
        for channel in [second, third] { _ = try? channel.finish() }
        #expect(registry.count == 0)
    }

    @Test("a silent connection is closed when the header timeout passes")
    func headerTimeout() throws {
        let channel = try channel(header: .seconds(1), body: .seconds(10), idle: .seconds(10))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(999))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(2))
        #expect(!channel.isActive)
    }
    @Test("a request being answered keeps its connection however long it takes; after the answer the idle timeout runs, and a later request's body timeout is kept even when it ends before the idle one would have")
    func deadlinesMoveWithTheConnection() throws {
        let channel = try channel(header: .seconds(10), body: .seconds(2), idle: .seconds(5))
        let head = HTTPRequestPart.head(HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/x"))
        let loop = channel.embeddedEventLoop
        // A request read whole, then answered after 100 s (a long import): never cut.
        try channel.writeInbound(head)
        try channel.writeInbound(HTTPRequestPart.end(nil))
        loop.advanceTime(by: .seconds(100))
        #expect(channel.isActive)
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        // Idle for just under the idle timeout, then a head whose body never comes: the body timeout
        // (2 s) ends before the idle deadline would have (5 s after the answer), and is kept.
        loop.advanceTime(by: .milliseconds(4_900))
        #expect(channel.isActive)
        try channel.writeInbound(head)
        loop.advanceTime(by: .milliseconds(1_900))
        #expect(channel.isActive)
        loop.advanceTime(by: .milliseconds(200))
        #expect(!channel.isActive)
    }

    @Test("a kept-alive connection is closed when the idle timeout passes after its last answer")
    func idleTimeout() throws {
        let channel = try channel(header: .seconds(1), body: .seconds(1), idle: .seconds(5))
        let loop = channel.embeddedEventLoop
        try channel.writeInbound(HTTPRequestPart.head(HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/x")))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        loop.advanceTime(by: .milliseconds(4_990))
        #expect(channel.isActive)
        loop.advanceTime(by: .milliseconds(20))
        #expect(!channel.isActive)
    }
}
