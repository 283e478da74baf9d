-- The delivery worker's two statements. A claim takes due rows with `for update skip locked` (any
-- number of workers in any number of processes never take the same row) and leases them by moving
-- next_attempt_at past the lease; a worker that dies leaves its rows to be claimed again when the lease
-- ends, so delivery is at least once, and the resend carries the same Message-ID. Finishing marks rows
-- sent only after the server's 250; temporary failures back off exponentially with jitter; permanent
-- ones, and rows past the attempt limit, are dead with their last error.

-- One claimed notice with what it renders with. PL/pgSQL on purpose: called per row, a SQL function
-- would set up (and so plan) the nested context query again for every notice, 3–4 ms each; here the
-- expression and its nested plans are kept for the transaction (70 µs a notice, measured).
create or replace function ps.notice_rendering(o ps.outbox) returns jsonb
    language plpgsql stable
    as $$
    begin
        return jsonb_build_object('institutionId', o.institution_id, 'messageId', o.message_id, 'kind', o.kind, 'channel', o.channel,
            'recipients', to_jsonb(o.recipients), 'replyTo', o.reply_to, 'attempts', o.attempts, 'createdAt', o.created_at,
            'template', ps.notice_template_json(o.institution_id, o.kind, o.language, o.template_id),
            'context', ps.notice_context(o.kind, o.patron_id, o.payload));
    end $$;
comment on function ps.notice_rendering(ps.outbox) is 'A notice as the delivery worker and the print batch render it: addressing, the resolved template and the context.';

create or replace function ps.notice_template_json(p_institution_id bigint, p_kind text, p_language text, p_template_id bigint) returns jsonb
    language sql stable
    as $$
        select jsonb_build_object('templateId', t.template_id, 'version', extract(epoch from t.updated_at)::text,
            'subject', t.subject, 'bodyText', t.body_text, 'bodyHtml', t.body_html)
        from ps.notice_template_for(p_institution_id, p_kind, p_language, p_template_id) t
    $$;
comment on function ps.notice_template_json(bigint, text, text, bigint) is
    'The template a notice renders with (ps.notice_template_for) as the renderer reads it: id, version, subject, text and HTML bodies.';

-- The claim itself runs as the owner: under the callers' row-level security the planner must check
-- every due row's policy before it can sort and take the first few (0.6 s with 50,000 due), where the
-- owner walks the due index and stops after p_limit rows. It claims for the whole consortium, so only
-- the service acting as the system (consortium administrator) may call it.
create or replace function ps.claim_notice_rows(p_worker text, p_limit integer, p_lease_seconds integer) returns setof bigint
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    begin
        if not is_consortium_admin() then
            raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Only the service, as the system, claims notices.';
        end if;
        return query
        with due as (
            select institution_id, message_id from outbox
            where status = 'pending' and channel <> 'print' and next_attempt_at <= now()
            order by next_attempt_at
            limit least(greatest(p_limit, 1), 1000)
            for update skip locked)
        update outbox o set attempts = o.attempts + 1, claimed_by = p_worker,
            next_attempt_at = now() + make_interval(secs => least(greatest(p_lease_seconds, 1), 3600))
        from due where o.institution_id = due.institution_id and o.message_id = due.message_id
        returning o.message_id;
    end $$;
comment on function ps.claim_notice_rows(text, integer, integer) is
    'Claims up to p_limit (at most 1000) due e-mail and text notices for a worker with for update skip locked, leasing them for p_lease_seconds (at most 3600); returns their message ids. The system only.';
revoke execute on function ps.claim_notice_rows(text, integer, integer) from public, patron_report;

create or replace function ps.claim_notices(p_worker text, p_limit integer, p_lease_seconds integer) returns jsonb
    language sql volatile
    as $$
        select coalesce(jsonb_agg(ps.notice_rendering(o) order by o.message_id), '[]')
        from ps.outbox o
        where o.message_id = any (array(select ps.claim_notice_rows(p_worker, p_limit, p_lease_seconds)))
    $$;
comment on function ps.claim_notices(text, integer, integer) is
    'Claims due e-mail and text notices for a worker (ps.claim_notice_rows) and returns them ready to render.';

-- p_results: [{"messageId": n, "outcome": "sent" | "temporary" | "permanent", "error": text}]
create or replace function ps.finish_notices(p_results jsonb) returns jsonb
    language plpgsql volatile
    as $$
    declare
        -- The ids as an array, so the update finds its rows through the message id index: a join would let
        -- the planner scan every pending row, and a drain of N notices would cost N² (measured).
        v_ids bigint[] := array(select (e->>'messageId')::bigint from jsonb_array_elements(p_results) e);
        v_max integer := (coalesce((select value from ps.setting_value where name = 'notices.max_attempts' and level = 'system'),
                                   (select default_value from ps.setting_definition where name = 'notices.max_attempts')) #>> '{}')::integer;
        v_done jsonb;
    begin
        with r as (
            select (e->>'messageId')::bigint as message_id, e->>'outcome' as outcome, left(e->>'error', 2000) as error
            from jsonb_array_elements(p_results) e),
        done as (
            update ps.outbox o set
                status = case when r.outcome = 'sent' then 'sent'
                              when r.outcome = 'permanent' or o.attempts >= v_max then 'dead' else 'pending' end,
                sent_at = case when r.outcome = 'sent' then now() end,
                last_error = case when r.outcome = 'sent' then o.last_error else r.error end,
                -- 30 s doubling per attempt, at most an hour, times a random 0.5–1.0 so retries spread out.
                next_attempt_at = case when r.outcome = 'temporary' then
                    now() + make_interval(secs => least(3600, 30 * power(2, least(o.attempts - 1, 20))) * (0.5 + random() / 2))
                    else o.next_attempt_at end
            from r
            where o.message_id = any (v_ids) and o.message_id = r.message_id and o.status = 'pending'
            returning o.kind, o.status)
        select coalesce(jsonb_agg(jsonb_build_object('kind', kind, 'status', status)), '[]') into v_done from done;
        return v_done;
    end $$;
comment on function ps.finish_notices(jsonb) is
    'Records delivery outcomes: sent (after the server''s 250), temporary (retry with exponential backoff and jitter, dead past notices.max_attempts) or permanent (dead); returns each row''s kind and new status.';
