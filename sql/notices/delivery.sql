-- The delivery worker's two statements. A claim takes due rows with `for update skip locked` (any
-- number of workers in any number of processes never take the same row) and leases them by moving
-- next_attempt_at past the lease; a worker that dies leaves its rows to be claimed again when the lease
-- ends, so delivery is at least once, and the resend carries the same Message-ID. Finishing marks rows
-- sent only after the server's 250; temporary failures back off exponentially with jitter; permanent
-- ones, and rows past the attempt limit, are dead with their last error.

-- One claimed notice with what it renders with.
create or replace function ps.notice_rendering(o ps.outbox) returns jsonb
    language sql stable
    as $$
        select jsonb_build_object('institutionId', o.institution_id, 'messageId', o.message_id, 'kind', o.kind, 'channel', o.channel,
            'recipients', to_jsonb(o.recipients), 'replyTo', o.reply_to, 'attempts', o.attempts, 'createdAt', o.created_at,
            'template', (select jsonb_build_object('templateId', t.template_id, 'version', extract(epoch from t.updated_at)::text,
                             'subject', t.subject, 'bodyText', t.body_text, 'bodyHtml', t.body_html)
                         from ps.notice_template_for(o.institution_id, o.kind, o.language, o.template_id) t),
            'context', ps.notice_context(o.kind, o.patron_id, o.payload))
    $$;
comment on function ps.notice_rendering(ps.outbox) is 'A notice as the delivery worker and the print batch render it: addressing, the resolved template and the context.';

create or replace function ps.claim_notices(p_worker text, p_limit integer, p_lease_seconds integer) returns jsonb
    language sql volatile
    as $$
        with due as (
            select institution_id, message_id from ps.outbox
            where status = 'pending' and channel <> 'print' and next_attempt_at <= now()
            order by next_attempt_at
            limit least(greatest(p_limit, 1), 1000)
            for update skip locked),
        claimed as (
            update ps.outbox o set attempts = o.attempts + 1, claimed_by = p_worker,
                next_attempt_at = now() + make_interval(secs => least(greatest(p_lease_seconds, 1), 3600))
            from due where o.institution_id = due.institution_id and o.message_id = due.message_id
            returning o.*)
        select coalesce(jsonb_agg(ps.notice_rendering(c) order by c.message_id), '[]') from claimed c
    $$;
comment on function ps.claim_notices(text, integer, integer) is
    'Claims up to p_limit (at most 1000) due e-mail and text notices for a worker, leasing them for p_lease_seconds (at most 3600), and returns them ready to render.';

-- p_results: [{"messageId": n, "outcome": "sent" | "temporary" | "permanent", "error": text}]
create or replace function ps.finish_notices(p_results jsonb) returns jsonb
    language sql volatile
    as $$
        with r as (
            select (e->>'messageId')::bigint as message_id, e->>'outcome' as outcome, left(e->>'error', 2000) as error
            from jsonb_array_elements(p_results) e),
        limits as (select (coalesce((select value from ps.setting_value where name = 'notices.max_attempts' and level = 'system'),
                                    (select default_value from ps.setting_definition where name = 'notices.max_attempts')) #>> '{}')::integer as max_attempts),
        done as (
            update ps.outbox o set
                status = case when r.outcome = 'sent' then 'sent'
                              when r.outcome = 'permanent' or o.attempts >= limits.max_attempts then 'dead' else 'pending' end,
                sent_at = case when r.outcome = 'sent' then now() end,
                last_error = case when r.outcome = 'sent' then o.last_error else r.error end,
                -- 30 s doubling per attempt, at most an hour, times a random 0.5–1.0 so retries spread out.
                next_attempt_at = case when r.outcome = 'temporary' then
                    now() + make_interval(secs => least(3600, 30 * power(2, least(o.attempts - 1, 20))) * (0.5 + random() / 2))
                    else o.next_attempt_at end
            from r, limits
            where o.message_id = r.message_id and o.status = 'pending'
            returning o.kind, o.status)
        select coalesce(jsonb_agg(jsonb_build_object('kind', kind, 'status', status)), '[]') from done
    $$;
comment on function ps.finish_notices(jsonb) is
    'Records delivery outcomes: sent (after the server''s 250), temporary (retry with exponential backoff and jitter, dead past notices.max_attempts) or permanent (dead); returns each row''s kind and new status.';
