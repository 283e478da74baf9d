import HTTPTypes
import Synchronization

/// Every route the application serves: method, path pattern, and who may call it.
///
/// Filled as controllers register their endpoints; used to answer 405 with `Allow`, and by the test
/// that checks the OpenAPI document describes exactly these routes.
public final class RouteTable: Sendable {
    public struct Route: Sendable, Hashable {
        public var method: HTTPRequest.Method
        /// With `{name}` parameters, as OpenAPI writes them.
        public var path: String
        /// Roles allowed; empty for public routes.
        public var roles: [String]
        /// The largest body this route takes, when it differs from `http.maxBodyBytes` (uploads).
        public var bodyLimit: Int? = nil
    }

    private let storage = Mutex<[Route]>([])

    public init() {}

    public var routes: [Route] { storage.withLock { $0 } }

    func add(_ route: Route) { storage.withLock { $0.append(route) } }

    /// Methods registered for paths matching `path` (parameters match any single segment).
    func methods(matching path: String) -> [HTTPRequest.Method] {
        self.routes(matching: path).map(\.method)
    }

    /// The body limit of the route `method` `path` reaches, when it has its own.
    func bodyLimit(_ method: HTTPRequest.Method, _ path: String) -> Int? {
        routes(matching: path).first { $0.method == method }?.bodyLimit
    }

    private func routes(matching path: String) -> [Route] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.filter { route in
            let pattern = route.path.split(separator: "/", omittingEmptySubsequences: true)
            guard pattern.count == segments.count else { return false }
            return zip(pattern, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }
    }
}
