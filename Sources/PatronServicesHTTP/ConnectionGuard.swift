import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Limits what one client connection can hold: connections beyond `maxConnections` are closed as
/// they arrive, a connection that has not sent a complete request head within `headerTimeout` (from
/// when it opened) or within `idleTimeout` (after its last response) is closed, and so is one whose
/// body is not complete within `bodyTimeout` of its head. Slow or idle clients cannot hold the
/// process's file descriptors or its request tasks.
///
/// When the server drains (graceful shutdown), every response says `Connection: close`, so no client
/// sends another request on a connection about to close; and a connection idle at that moment is given
/// `drainGrace` before the server closes it, so a request already on its way is answered, not dropped.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The connections open now, shared by every connection's guard.
    final class Counter: Sendable {
        let open = Atomic<Int>(0)
        init() {}
    }

    struct Limits: Sendable {
        var maxConnections: Int
        var headerTimeout: TimeAmount
        var bodyTimeout: TimeAmount
        var idleTimeout: TimeAmount
        var drainGrace: TimeAmount = .seconds(1)
    }

    private let counter: Counter
    private let limits: Limits
    private var counted = false
    private var draining = false
    /// A request head has been read and its response is not yet complete.
    private var inRequest = false
    private var timer: Scheduled<Void>?

    init(counter: Counter, limits: Limits) {
        self.counter = counter
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let open = counter.open.add(1, ordering: .relaxed).newValue
        counted = true
        guard open <= limits.maxConnections else {
            context.close(promise: nil)
            return
        }
        arm(context, limits.headerTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) { release() }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    /// The connection is gone (or this handler is): stop its timer and count it out, once.
    private func release() {
        timer?.cancel()
        timer = nil
        if counted {
            counted = false
            counter.open.subtract(1, ordering: .relaxed)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            inRequest = true
            arm(context, limits.bodyTimeout)
        case .body: break
        case .end:
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent, !draining else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        draining = true
        if inRequest {
            // Hummingbird closes the connection once this response is written.
            context.fireUserInboundEventTriggered(event)
        } else {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: limits.drainGrace) { loopBound.value.fireUserInboundEventTriggered(event) }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if draining, case .head(var head) = unwrapOutboundIn(data) {
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: promise)
            return
        }
        if case .end = unwrapOutboundIn(data) {
            inRequest = false
            // The response is complete: the next request head must come within the idle timeout.
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let idle = limits.idleTimeout
            let written = promise ?? context.eventLoop.makePromise()
            written.futureResult.whenSuccess { [self] in self.arm(loopBound.value, idle) }
            context.write(data, promise: written)
            return
        }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext, _ timeout: TimeAmount) {
        timer?.cancel()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }
}

extension TimeAmount {
    /// Whole milliseconds of a configured number of seconds.
    static func configured(seconds value: Double) -> TimeAmount { .milliseconds(Int64(value * 1000)) }
}
