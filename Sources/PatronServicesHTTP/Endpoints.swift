import HTTPTypes
import Hummingbird
import PatronServices

/// A controller's routes: a Hummingbird `RouteCollection` that also records each route in the
/// ``RouteTable`` (method, path, roles) so the contract and the 405 answers stay in step with the code.
public struct Endpoints {
    public let collection = RouteCollection(context: AppRequestContext.self)
    let table: RouteTable
    let prefix: String

    init(table: RouteTable, prefix: String) {
        self.table = table
        self.prefix = prefix
    }

    /// Registers `handler` for `method` on `path` (Hummingbird syntax, `:id` for parameters); `bodyLimit`
    /// replaces `http.maxBodyBytes` for this route (uploads).
    @discardableResult
    public func on(
        _ method: HTTPRequest.Method, _ path: String, roles: [StaffRole] = [], bodyLimit: Int? = nil,
        use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Response
    ) -> Self {
        let allowed = AllowedStaffRoles(roles)
        collection.on(RouterPath(path), method: method) { request, context in
            var context = context
            context.allowedRoles = allowed
            // A staff route without a bearer token is 401 before its body is read or parsed: nobody
            // unauthenticated makes the service decode JSON or parse an import file.
            if !roles.isEmpty { context.staffToken = try Database.bearerToken(request) }
            return try await handler(request, context)
        }
        let full = (prefix + (path.isEmpty ? "" : "/" + path)).split(separator: "/").map { segment in
            segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
        }
        table.add(.init(method: method, path: "/" + full.joined(separator: "/"), roles: roles.map(\.rawValue), bodyLimit: bodyLimit))
        return self
    }
}
