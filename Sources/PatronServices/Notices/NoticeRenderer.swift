import Foundation
import Synchronization

/// Renders notices, parsing each template once per version however many notices use it.
public final class NoticeRenderer: Sendable {
    private let cache = Mutex<[String: NoticeTemplate]>([:])

    public init() {}

    public enum Failure: Error, Sendable, Equatable {
        /// No template of the notice's kind exists anywhere (the consortium's were deleted).
        case noTemplate(kind: String)
        /// A stored template no longer parses (saved before a rule changed); the problems say where.
        case invalidTemplate(String)
    }

    public func render(_ notice: RenderableNotice) throws(Failure) -> NoticeTemplate.Rendered {
        guard let source = notice.template else { throw .noTemplate(kind: notice.kind) }
        let key = "\(source.templateId)@\(source.version)"
        let template: NoticeTemplate
        if let cached = cache.withLock({ $0[key] }) {
            template = cached
        } else {
            do {
                template = try NoticeTemplate(subject: source.subject, bodyText: source.bodyText, bodyHtml: source.bodyHtml)
            } catch {
                throw .invalidTemplate(error.problems.map { "\($0.part): \($0.message)" }.joined(separator: "; "))
            }
            cache.withLock { cache in
                if cache.count > 1_000 { cache.removeAll() }
                cache[key] = template
            }
        }
        return template.render(context: notice.contextValue)
    }
}
