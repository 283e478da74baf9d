import Postgres

/// Online patron account updates: the PAC's options, scope, account and submissions (run after
/// `ps.authenticate_pac`, which sets the connection branch and the signed-in patron), and the staff queue.
public enum AccountUpdateQueries {
    /// Sign-in with barcode and PIN through a PAC client key, from `source` (the client's address);
    /// `session` is the new session's token.
    public static func signIn(clientKey: String, barcode: String, pin: String, session: String, source: String?) -> PostgresQuery {
        "select * from ps.patron_sign_in(\(clientKey), \(barcode), \(pin), \(session), \(source))"
    }

    /// Checks a PAC client key and optional patron session, and sets the request's identity.
    public static func authenticatePAC(clientKey: String, session: String?) -> PostgresQuery {
        "select * from ps.authenticate_pac(\(clientKey), \(session))"
    }

    public static let scope: PostgresQuery = """
        select jsonb_build_object('branchId', s.branch_id, 'institutionId', s.institution_id, 'reason', s.reason,
            'branchName', ps.branch_name(s.branch_id))
        from ps.pac_scope(current_setting('ps.connection_branch_id')::bigint,
                          nullif(current_setting('ps.patron_id'), '')::bigint) s
        """

    public static let options: PostgresQuery = """
        select ps.pac_options(s.branch_id, nullif(current_setting('ps.patron_id'), '')::bigint) - 'sources'
            || jsonb_build_object('scope', jsonb_build_object('branchId', s.branch_id, 'reason', s.reason))
        from ps.pac_scope(current_setting('ps.connection_branch_id')::bigint, nullif(current_setting('ps.patron_id'), '')::bigint) s
        """

    /// Ends the signed-in patron's session.
    public static let signOut: PostgresQuery = "select ps.sign_out()"

    public static let account: PostgresQuery =
        "select ps.patron_api(p.patron_id) from ps.patron p where p.patron_id = current_setting('ps.patron_id')::bigint"

    public static func submitChangeRequest(_ changes: PostgresJSON, idempotencyKey: String?) -> PostgresQuery {
        "select ps.submit_change_request(\(changes)::jsonb, \(idempotencyKey))"
    }

    public static func updateNoticeOptOuts(_ optOuts: PostgresJSON) -> PostgresQuery {
        "select ps.update_notice_optouts(\(optOuts)::jsonb)"
    }

    /// A page of the change-request queue, oldest first (submitted, then request id), optionally for one
    /// branch and at least some hours old: at most `limit` requests after `afterRequestId` in that order.
    /// The cursor may be a request decided since (it keeps its place); NULL (404) when the caller cannot
    /// see it. A page sorts only the pending requests it filters (a top-`limit` sort), never the history.
    public static func queue(branch: Int64?, minAgeHours: Int64?, afterRequestId: Int64?, limit: Int64) -> PostgresQuery {
        """
        with after as materialized (select c.submitted_at, c.request_id from ps.change_request c where c.request_id = \(afterRequestId))
        select case when \(afterRequestId)::bigint is not null and not exists (select 1 from after) then null
            else coalesce((select jsonb_agg(ps.api(to_jsonb(q)) order by q.submitted_at, q.request_id) from (
                select * from ps.change_request_queue q
                where (\(branch)::bigint is null or q.branch_id = \(branch))
                  and (\(minAgeHours)::bigint is null or q.age >= make_interval(hours => \(minAgeHours)::int))
                  and (\(afterRequestId)::bigint is null or (q.submitted_at, q.request_id) > (select a.submitted_at, a.request_id from after a))
                order by q.submitted_at, q.request_id limit \(limit)) q), '[]') end
        """
    }

    public static func decide(request: Int64, field: ChangeField, decision: ChangeDecision, reason: String?) -> PostgresQuery {
        "select ps.decide_change_field(\(request), \(field), \(decision), \(reason))"
    }

    public static func changeHistory(patron: Int64) -> PostgresQuery {
        """
        select case when exists (select 1 from ps.patron where patron_id = \(patron))
            then coalesce((select jsonb_agg(ps.api(to_jsonb(e)) order by e.event_id) from ps.change_request_event e
                           where e.patron_id = \(patron)), '[]') end
        """
    }
}
