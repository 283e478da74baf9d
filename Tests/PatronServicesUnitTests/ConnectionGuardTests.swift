import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Synchronization
import Testing

@testable import PatronServicesHTTP

@Suite("The connection guard on one channel")
struct ConnectionGuardTests {
    func channel(_ counter: ConnectionGuard.Counter, max: Int = 10) throws -> EmbeddedChannel {
        let limits = ConnectionGuard.Limits(maxConnections: max, headerTimeout: .seconds(10), bodyTimeout: .seconds(10), idleTimeout: .seconds(10))
        return EmbeddedChannel(handler: ConnectionGuard(counter: counter, limits: limits))
    }

    @Test("while the server drains, responses say Connection: close (a kept-alive client does not send into a closing connection)")
    func connectionCloseWhileDraining() throws {
        let channel = try channel(ConnectionGuard.Counter())
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        guard case .head(let before) = try channel.readOutbound(as: HTTPResponsePart.self) else { Issue.record("no head"); return }
        #expect(before.headerFields[.connection] == nil)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        guard case .head(let after) = try channel.readOutbound(as: HTTPResponsePart.self) else { Issue.record("no head"); return }
        #expect(after.headerFields[.connection] == "close")
        _ = try channel.finish()
    }

    @Test("connections are counted in and out; one over the maximum is closed at once")
    func counting() throws {
        let counter = ConnectionGuard.Counter()
        let first = try channel(counter, max: 1)
        #expect(counter.open.load(ordering: .relaxed) == 1)
        let second = try channel(counter, max: 1)
        #expect(counter.open.load(ordering: .relaxed) == 1, "the second was refused and counted out")
        #expect(!second.isActive)
        _ = try? second.finish()
        _ = try first.finish()
        #expect(counter.open.load(ordering: .relaxed) == 0)
    }

    @Test("a silent connection is closed when the header timeout passes")
    func headerTimeout() throws {
        let counter = ConnectionGuard.Counter()
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let limits = ConnectionGuard.Limits(maxConnections: 10, headerTimeout: .seconds(1), bodyTimeout: .seconds(10), idleTimeout: .seconds(10))
        try channel.pipeline.syncOperations.addHandler(ConnectionGuard(counter: counter, limits: limits))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(999))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(2))
        #expect(!channel.isActive)
    }
}
