import HTTPTypes
import Synchronization

/// Every route the application serves: method, path pattern, and who may call it.
///
/// Filled as controllers register their endpoints; used to answer 405 with `Allow`, to find an upload's
/// body limit on every request, and by the test that checks the OpenAPI document describes exactly
/// these routes.
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

    /// A route with its pattern split once, at registration: a request's lookup compares segments and
    /// never splits a pattern (splitting all of them on every request was a sixth of the service's CPU).
    private struct Compiled: Sendable {
        let route: Route
        /// Literal segments; nil where the pattern has a parameter.
        let segments: [Substring?]
    }

    private struct Storage: Sendable {
        var routes: [Route] = []
        /// Routes by their number of segments.
        var bySegmentCount: [Int: [Compiled]] = [:]
    }

    private let storage = Mutex(Storage())

    public init() {}

    public var routes: [Route] { storage.withLock { $0.routes } }

    func add(_ route: Route) {
        let segments = route.path.split(separator: "/").map { $0.hasPrefix("{") ? nil : $0 }
        storage.withLock { storage in
            storage.routes.append(route)
            storage.bySegmentCount[segments.count, default: []].append(Compiled(route: route, segments: segments))
        }
    }

    /// Methods registered for paths matching `path` (parameters match any single segment).
    func methods(matching path: String) -> [HTTPRequest.Method] {
        self.routes(matching: path).map(\.method)
    }

    /// The body limit of the route `method` `path` reaches, when it has its own.
    func bodyLimit(_ method: HTTPRequest.Method, _ path: String) -> Int? {
        routes(matching: path).first { $0.method == method }?.bodyLimit
    }

    private func routes(matching path: String) -> [Route] {
        let segments = path.utf8.split(separator: UInt8(ascii: "/")).map { Substring($0) }
        let candidates = storage.withLock { $0.bySegmentCount[segments.count] } ?? []
        return candidates.filter { compiled in
            zip(compiled.segments, segments).allSatisfy { pattern, segment in pattern.map { $0 == segment } ?? true }
        }.map(\.route)
    }
}
