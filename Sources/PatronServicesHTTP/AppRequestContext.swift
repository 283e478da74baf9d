import Hummingbird

/// The request context of every route: the request id, and (for authenticated routes) who is asking.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Accepted from `X-Request-Id` or generated; echoed on the response and in every log line.
    public var requestID: String = ""

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    /// Bodies are bounded by ``BodyLimitMiddleware`` (configurable); this is only the outer guard.
    public var maxUploadSize: Int { 16 * 1024 * 1024 }
}
