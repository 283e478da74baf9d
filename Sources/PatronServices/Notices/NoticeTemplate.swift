import Foundation
import Mustache

/// A notice template's three parts, parsed: the subject and text body render without HTML escaping,
/// the HTML body with it.
public struct NoticeTemplate: Sendable {
    /// Where a template fails to parse, for a 422 that lists every problem.
    public struct Problem: Error, Sendable, Equatable {
        public var part: String
        public var message: String
    }

    let subject: MustacheTemplate
    let text: MustacheTemplate
    let html: MustacheTemplate?

    /// Parses every part; throws the list of problems when any part does not parse.
    public init(subject: String, bodyText: String, bodyHtml: String?) throws(ProblemList) {
        var problems: [Problem] = []
        func parse(_ source: String, part: String, text: Bool) -> MustacheTemplate? {
            do {
                // The pragma keeps the text parts unescaped; on the same line, so line numbers stay right.
                return try MustacheTemplate(string: (text ? "{{% CONTENT_TYPE: TEXT}}" : "") + source)
            } catch let error as MustacheTemplate.ParserError {
                problems.append(Problem(part: part, message: "\(error.error) at line \(error.context.lineNumber), column \(error.context.columnNumber): \(error.context.line.prefix(120))"))
            } catch {
                problems.append(Problem(part: part, message: "\(error)"))
            }
            return nil
        }
        let subjectTemplate = parse(subject, part: "subject", text: true)
        let textTemplate = parse(bodyText, part: "bodyText", text: true)
        let htmlTemplate = bodyHtml.flatMap { parse($0, part: "bodyHtml", text: false) }
        guard problems.isEmpty, let subjectTemplate, let textTemplate else { throw ProblemList(problems: problems) }
        self.subject = subjectTemplate
        self.text = textTemplate
        self.html = htmlTemplate
    }

    /// Every problem found in a template.
    public struct ProblemList: Error, Sendable {
        public var problems: [Problem]
    }

    /// Parses and lists the variables each part names, or every problem found.
    public static func check(subject: String, bodyText: String, bodyHtml: String?) throws(ProblemList) -> [TemplateTag] {
        _ = try NoticeTemplate(subject: subject, bodyText: bodyText, bodyHtml: bodyHtml)
        var tags: [TemplateTag] = []
        var problems: [Problem] = []
        for (part, source) in [("subject", subject), ("bodyText", bodyText), ("bodyHtml", bodyHtml)] {
            guard let source else { continue }
            do { tags += try TemplateTags.scan(source, part: part) } catch { problems.append(Problem(part: part, message: error.message)) }
        }
        guard problems.isEmpty else { throw ProblemList(problems: problems) }
        return tags
    }

    /// The rendered notice.
    public struct Rendered: Sendable {
        public var subject: String
        public var text: String
        public var html: String?
    }

    /// Renders with a context given as JSON text (an object).
    public func render(contextJSON: [UInt8]) throws -> Rendered {
        let value = try JSONDecoder().decode(DecodedJSON.self, from: Data(contextJSON))
        return render(context: value.any ?? [String: Any]())
    }

    func render(context: Any) -> Rendered {
        Rendered(subject: subject.render(context).trimmingCharacters(in: .whitespacesAndNewlines),
            text: text.render(context), html: html?.render(context))
    }
}
