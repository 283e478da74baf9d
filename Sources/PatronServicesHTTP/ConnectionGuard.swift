import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Limits what one client connection can hold: at most `maxConnections` are open (a newcomer at the
/// limit replaces the connection that has waited longest for a request head, or is closed when every
/// connection is busy; ``ConnectionRegistry``), a connection that has not sent a complete request head
/// within `headerTimeout` (from when it opened) or within `idleTimeout` (after its last response) is
/// closed, and so is one whose body is not complete within `bodyTimeout` of its head. Slow or idle
/// clients cannot hold the process's file descriptors or its request tasks.
///
/// When the server drains (graceful shutdown), every response says `Connection: close`, so no client
/// sends another request on a connection about to close; and a connection idle at that moment is given
/// `drainGrace` before the server closes it, so a request already on its way is answered, not dropped.
///
/// The timeouts are kept as one deadline per connection, which each event only moves; a single timer
/// checks it, and is never more than the shortest timeout ahead, so no new deadline can fall before it.
/// Arming and cancelling a NIO timer for every request head, request end and response cost about 3% of
/// the service's CPU per request.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    struct Limits: Sendable {
        var maxConnections: Int
        var headerTimeout: TimeAmount
        var bodyTimeout: TimeAmount
        var idleTimeout: TimeAmount
        var drainGrace: TimeAmount = .seconds(1)
    }

    private let registry: ConnectionRegistry
    private let limits: Limits
    private var admitted = false
    private var draining = false
    /// A request head has been read and its response is not yet complete.
    private var inRequest = false
    /// When the connection is closed unless something moves it; nil while a request is being answered.
    private var deadline: NIODeadline?
    /// The check of `deadline`, at most the shortest timeout ahead (or nil once the connection is gone).
    private var timer: Scheduled<Void>?

    init(registry: ConnectionRegistry, limits: Limits) {
        self.registry = registry
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard registry.admit(context.channel, limit: limits.maxConnections) else {
            context.close(promise: nil)
            return
        }
        admitted = true
        arm(context, limits.headerTimeout)
        check(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) { release(context) }

    func channelInactive(context: ChannelHandlerContext) {
        release(context)
        context.fireChannelInactive()
    }

    /// The connection is gone (or this handler is): stop its timer and count it out, once.
    private func release(_ context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        deadline = nil
        if admitted {
            admitted = false
            registry.remove(context.channel)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            inRequest = true
            registry.setWaiting(context.channel, false)
            arm(context, limits.bodyTimeout)
        case .body: break
        case .end:
            deadline = nil
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
            let loopBound = NIOLoopBound((context: context, event: event), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: limits.drainGrace) { loopBound.value.context.fireUserInboundEventTriggered(loopBound.value.event) }
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
            registry.setWaiting(context.channel, true)
            // The response is complete: the next request head must come within the idle timeout.
            let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            let idle = limits.idleTimeout
            let written = promise ?? context.eventLoop.makePromise()
            written.futureResult.whenSuccess { loopBound.value.handler.arm(loopBound.value.context, idle) }
            context.write(data, promise: written)
            return
        }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext, _ timeout: TimeAmount) {
        deadline = context.eventLoop.now + timeout
    }

    /// Closes the connection when its deadline has passed; otherwise looks again at the deadline, or
    /// after the shortest timeout, whichever is sooner (a deadline set meanwhile is never sooner).
    private func check(_ context: ChannelHandlerContext) {
        guard admitted else { return }
        let now = context.eventLoop.now
        if let deadline, deadline <= now {
            timer = nil
            context.close(promise: nil)
            return
        }
        let next = min(deadline ?? .distantFuture, now + min(limits.headerTimeout, limits.bodyTimeout, limits.idleTimeout))
        // The handler and its context belong to the channel's event loop, where the task runs.
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: next) { loopBound.value.handler.check(loopBound.value.context) }
    }
}

extension TimeAmount {
    /// Whole milliseconds of a configured number of seconds.
    static func configured(seconds value: Double) -> TimeAmount { .milliseconds(Int64(value * 1000)) }
}
