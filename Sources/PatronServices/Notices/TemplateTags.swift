import Foundation

/// The variables a Mustache template names, each with the sections it sits in, so the database can
/// check them against the notice kind's variables (``NoticeQueries/saveTemplate``). Partials,
/// delimiter changes and inheritance are refused: a notice template is one self-contained text.
public struct TemplateTag: Sendable, Equatable, Encodable {
    public var part: String
    public var name: String
    public var sections: [String]
}

enum TemplateTags {
    struct Refused: Error { let message: String }

    /// Scans a template that already parsed; throws ``Refused`` for tags templates may not use.
    static func scan(_ text: String, part: String) throws(Refused) -> [TemplateTag] {
        var tags: [TemplateTag] = []
        var sections: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            rest = rest[open.upperBound...]
            let triple = rest.first == "{"
            guard let close = rest.range(of: triple ? "}}}" : "}}") else { break }
            var tag = rest[..<close.lowerBound]
            rest = rest[close.upperBound...]
            if triple { tag = tag.dropFirst() }
            let sigil = triple ? "&" : tag.first.map(String.init) ?? ""
            let name: String
            switch sigil {
            case "#", "^", "/", "&":
                name = (triple ? tag : tag.dropFirst()).trimmingWhitespace
            case "!", "%":
                continue
            case ">", "<", "$", "=":
                throw Refused(message: "{{\(tag)}}: partials, inheritance and delimiter changes are not available in notice templates")
            default:
                name = tag.trimmingWhitespace
            }
            let base = name.split(separator: "(").last.map { String($0.prefix { $0 != ")" }) } ?? name
            switch sigil {
            case "/": _ = sections.popLast()
            case "#", "^":
                tags.append(TemplateTag(part: part, name: base, sections: sections.reversed()))
                sections.append(base)
            default:
                tags.append(TemplateTag(part: part, name: base, sections: sections.reversed()))
            }
        }
        return tags
    }
}

extension Substring {
    var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
