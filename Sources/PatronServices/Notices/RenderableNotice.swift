/// A notice as `ps.notice_rendering` gives it: addressing, its resolved template and its context.
public struct RenderableNotice: Decodable, Sendable {
    public struct Template: Decodable, Sendable {
        public var templateId: Int64
        public var version: String
        public var subject: String
        public var bodyText: String
        public var bodyHtml: String?
    }

    public var institutionId: Int64
    public var messageId: Int64
    public var kind: String
    public var channel: String
    public var recipients: [String]
    public var replyTo: String?
    public var attempts: Int
    public var status: String?
    public var template: Template?
    let context: DecodedJSON

    /// The context values, for the renderer.
    var contextValue: Any { context.any ?? [String: Any]() }

    /// The library's name, for the From display name.
    public var libraryName: String? {
        if case .object(let root) = context, case .object(let library)? = root["library"], case .string(let name)? = library["name"] { return name }
        return nil
    }

    /// The postal address lines for a window envelope: name, street lines, city state postal code, country.
    public var addressLines: [String] {
        guard case .object(let root) = context, case .object(let address)? = root["address"] else { return [] }
        func field(_ key: String) -> String { if case .string(let value)? = address[key] { value } else { "" } }
        let cityLine = [field("city"), field("state"), field("postalCode")].filter { !$0.isEmpty }.joined(separator: " ")
        return [field("name"), field("line1"), field("line2"), cityLine, field("country")].filter { !$0.isEmpty }
    }
}
