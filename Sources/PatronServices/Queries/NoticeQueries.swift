import Postgres

/// Notices: notification policies, templates, reminder jobs, delivery, print batches and history.
public enum NoticeQueries {
    /// The identity the service's own notice work runs as: consortium-wide, named in every audit trail.
    public static func systemOptions(_ actor: String) -> TransactionOptions {
        TransactionOptions(settings: [("ps.role", "consortium_admin"), ("ps.actor", actor)])
    }

    /// The reminder jobs' transaction: the system's identity, and a statement timeout for a daily batch.
    /// The sessions' own (`database.statementTimeoutMs`, 15 s) bounds a request; at a million patrons the
    /// jobs look at some 150,000 loans due soon and call the notice routing for each of their patrons,
    /// which took longer than that, so every run was cancelled and no reminder was ever queued.
    public static let jobOptions = TransactionOptions(settings: [
        ("ps.role", "consortium_admin"), ("ps.actor", "system:notice-jobs"), ("statement_timeout", "30min"),
    ])

    // Notification policies
    public static let notificationPolicies: PostgresQuery = "select ps.notification_policies()"

    public static func notificationPolicy(_ id: Int64) -> PostgresQuery {
        "select ps.api(to_jsonb(n)) from ps.notification_policy n where n.notification_policy_id = \(id)"
    }

    public static func saveNotificationPolicy(_ id: Int64?, _ fields: PostgresJSON) -> PostgresQuery {
        "select ps.save_notification_policy(\(id), \(fields)::jsonb)"
    }

    public static func deleteNotificationPolicy(_ id: Int64) -> PostgresQuery { "select ps.delete_notification_policy(\(id))" }

    // Templates
    public static func templates(kind: String?) -> PostgresQuery { "select ps.notice_templates(\(kind))" }

    public static func template(_ id: Int64) -> PostgresQuery {
        "select ps.api(to_jsonb(t)) from ps.notice_template t where t.template_id = \(id)"
    }

    /// Creates (`id` nil) or edits a template whose parts parsed; `tags` are the variables they name.
    public static func saveTemplate(_ id: Int64?, _ fields: PostgresJSON, tags: PostgresJSON) -> PostgresQuery {
        "select ps.save_notice_template(\(id), \(fields)::jsonb, \(tags)::jsonb)"
    }

    public static func deleteTemplate(_ id: Int64) -> PostgresQuery { "select ps.delete_notice_template(\(id))" }

    /// The template and a patron's context, for a preview (null when either is not visible).
    public static func preview(template: Int64, patron: Int64) -> PostgresQuery {
        """
        select jsonb_build_object('institutionId', p.institution_id, 'messageId', 0, 'kind', t.kind, 'channel', 'email',
            'recipients', '[]'::jsonb, 'attempts', 0,
            'template', ps.notice_template_json(t.institution_id, t.kind, t.language, t.template_id),
            'context', ps.notice_context(t.kind, p.patron_id, '{}'))
        from ps.notice_template t, ps.patron p
        where t.template_id = \(template) and p.patron_id = \(patron) and p.deleted_at is null
        """
    }

    // Jobs and delivery
    public static func runJobs(date: CivilDate?) -> PostgresQuery { "select ps.run_notice_jobs(\(date)::date)" }

    public static func claim(worker: String, limit: Int, leaseSeconds: Int) -> PostgresQuery {
        "select ps.claim_notices(\(worker), \(limit), \(leaseSeconds))"
    }

    public static func finish(_ results: PostgresJSON) -> PostgresQuery { "select ps.finish_notices(\(results)::jsonb)" }

    public static let metrics: PostgresQuery = "select ps.notice_metrics()"

    // Staff
    public static func patronNotices(_ patron: Int64) -> PostgresQuery { "select ps.patron_notices(\(patron))" }

    public static func outbox(status: String?, kind: String?, after: Int64?, limit: Int?) -> PostgresQuery {
        "select ps.outbox_notices(\(status), \(kind), \(after), \(limit))"
    }

    public static func resend(_ message: Int64) -> PostgresQuery { "select ps.resend_notice(\(message))" }

    public static func contactPatron(_ patron: Int64) -> PostgresQuery { "select ps.contact_patron(\(patron))" }

    public static func printBatch(branch: Int64, date: CivilDate) -> PostgresQuery {
        "select ps.print_batch(\(branch), \(date)::date)"
    }

    public static func markPrinted(branch: Int64, date: CivilDate) -> PostgresQuery {
        "select ps.mark_print_batch_printed(\(branch), \(date)::date)"
    }
}
