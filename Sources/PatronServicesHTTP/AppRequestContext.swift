import Hummingbird
import NIOCore
import PatronServices

/// The request context of every route: the request id, and (for authenticated routes) who is asking.
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Accepted from `X-Request-Id` or generated; echoed on the response and in every log line.
    public var requestID: String = ""
    /// The roles the matched route allows (from its registration in ``Endpoints``); checked in SQL by
    /// `ps.authenticate_staff` in the request's own transaction.
    public var allowedRoles = AllowedStaffRoles.none
    /// The staff bearer token, read (and checked for shape) when the route allows staff roles, before
    /// the body is read; ``Database`` authenticates it in SQL.
    public var staffToken: String?

    /// The browser origin of a PAC request from a page outside the global CORS list: the PAC client key
    /// must list it (`ps.live_pac_client` reads it as `ps.origin`). Nil for every other request.
    public var browserOrigin: String?

    /// The peer of the connection (sign-in throttling counts failures per address).
    public var remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// Bodies are bounded by ``BodyLimitMiddleware`` (configurable); this is only the outer guard.
    public var maxUploadSize: Int { 16 * 1024 * 1024 }
}
