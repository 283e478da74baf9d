import Hummingbird

extension AppRequestContext {
    /// A positive integer path parameter, or 404 (an id that cannot exist is simply not found).
    func id(_ name: String) throws -> Int64 {
        guard let text = parameters.get(name), let value = Int64(text), value > 0 else { throw Problem.notFound() }
        return value
    }
}

extension Request {
    /// An optional query parameter; 400 naming it when it holds a NUL, which PostgreSQL cannot store
    /// (and libpq would silently cut the text at).
    func query(_ name: String) throws -> String? {
        guard let value = uri.queryParameters.get(name) else { return nil }
        guard !value.contains("\u{0}") else {
            throw Problem(.badRequest, code: "invalid_value", detail: "\(name) may not contain the NUL character.",
                errors: [.init(field: name, code: "nul_character", message: "Text may not contain the NUL character.")])
        }
        return value
    }

    /// An optional positive integer query parameter, or 400 naming it.
    func queryID(_ name: String) throws -> Int64? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let value = Int64(text), value > 0 else {
            throw Problem(.badRequest, code: "invalid_query", detail: "\(name) must be a positive integer.",
                errors: [.init(field: name, code: "invalid", message: "Expected a positive integer.")])
        }
        return value
    }
}
