-- What staff see and do with notices: a patron's notice history, the outbox by status, resending,
-- Contact patron (the Account Overview), print batches per branch and day, and the figures for /metrics.

create or replace function ps.notice_api(o ps.outbox) returns jsonb
    language sql stable
    as $$
        select jsonb_build_object('messageId', o.message_id, 'institutionId', o.institution_id, 'patronId', o.patron_id,
            'branchId', o.branch_id, 'kind', o.kind, 'channel', o.channel, 'recipients', to_jsonb(o.recipients), 'replyTo', o.reply_to,
            'status', o.status, 'attempts', o.attempts, 'lastError', o.last_error, 'createdAt', o.created_at, 'sentAt', o.sent_at,
            'printedAt', o.printed_at, 'nextAttemptAt', case when o.status = 'pending' and o.channel <> 'print' then o.next_attempt_at end)
    $$;
comment on function ps.notice_api(ps.outbox) is 'A notice as the staff API shows it: kind, channel, addresses, status, attempts, last error and times.';

create or replace function ps.patron_notices(p_patron_id bigint) returns jsonb
    language sql stable
    as $$
        select case when exists (select 1 from ps.patron where patron_id = p_patron_id) then
            coalesce((select jsonb_agg(ps.notice_api(o) order by o.message_id desc) from ps.outbox o where o.patron_id = p_patron_id), '[]') end
    $$;
comment on function ps.patron_notices(bigint) is 'A patron''s notice history, newest first (null when the patron is not visible).';

create or replace function ps.outbox_notices(p_status text, p_kind text, p_after bigint, p_limit integer) returns jsonb
    language sql stable
    as $$
        select coalesce(jsonb_agg(ps.notice_api(o) order by o.message_id), '[]') from (
            select * from ps.outbox o
            where (p_status is null or o.status = p_status) and (p_kind is null or o.kind = p_kind)
              and o.message_id > coalesce(p_after, 0)
            order by o.message_id limit least(greatest(coalesce(p_limit, 100), 1), 1000)) o
    $$;
comment on function ps.outbox_notices(text, text, bigint, integer) is
    'The outbox the caller can see, by status and kind, in message id order after p_after (keyset paging, at most 1000 a page).';

-- Resend: a new notice with the same content to the patron's current addresses (a patron who never got
-- an e-mail may have corrected it); the original keeps its history.
create or replace function ps.resend_notice(p_message_id bigint) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_old ps.outbox;
        v_id bigint;
    begin
        select * into v_old from ps.outbox where message_id = p_message_id;
        if not found then
            return null;
        end if;
        if not ps.can_write_institution(v_old.institution_id) then
            raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Report readers do not resend notices.';
        end if;
        if v_old.kind = 'staff_change_request' then
            insert into ps.outbox (institution_id, kind, channel, patron_id, branch_id, recipients, payload, template_id, reply_to, language)
            values (v_old.institution_id, v_old.kind, v_old.channel, v_old.patron_id, v_old.branch_id, v_old.recipients, v_old.payload,
                    v_old.template_id, v_old.reply_to, v_old.language)
            returning message_id into v_id;
        else
            v_id := ps.enqueue_notice(v_old.patron_id, v_old.kind, v_old.payload, null, v_old.template_id,
                                      v_old.kind in ('almost_overdue', 'patron_record_expiration', 'inactive_patron'), v_old.reply_to);
        end if;
        if v_id is null then
            raise exception using errcode = 'PS409', message = 'patron_deleted', detail = 'The patron record was deleted.';
        end if;
        return (select ps.notice_api(o) from ps.outbox o where message_id = v_id);
    end $$;
comment on function ps.resend_notice(bigint) is 'Queues a notice again as a new notice (new Message-ID) to the patron''s current address; the original is unchanged.';

-- WMS: the patron type "will include the Account Overview option when staff select Contact patron".
create or replace function ps.contact_patron(p_patron_id bigint) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_contact jsonb := ps.contact_options(p_patron_id);
        v_template bigint;
        v_id bigint;
    begin
        if v_contact is null then
            return null;
        end if;
        if v_contact->'accountOverview' is null or jsonb_typeof(v_contact->'accountOverview') = 'null' then
            raise exception using errcode = 'PS409', message = 'account_overview_not_offered',
                detail = 'The patron type policy assigns no Account Overview template.';
        end if;
        v_template := (v_contact #>> '{accountOverview,templateId}')::bigint;
        v_id := ps.enqueue_notice(p_patron_id, 'account_overview', '{}', null, v_template, false, v_contact #>> '{accountOverview,replyTo}');
        return (select ps.notice_api(o) from ps.outbox o where message_id = v_id);
    end $$;
comment on function ps.contact_patron(bigint) is
    'Contact patron: queues the Account Overview with the patron type policy''s template and resolved reply-to address (409 when the policy assigns none).';

-- The print batch of a branch for a day (in the branch's time zone).
create or replace function ps.print_batch(p_branch_id bigint, p_date date) returns jsonb
    language sql stable
    as $$
        select case when exists (select 1 from ps.branch b where b.branch_id = p_branch_id and ps.can_see_institution(b.institution_id)) then
            coalesce((select jsonb_agg(ps.notice_rendering(o) || jsonb_build_object('status', o.status) order by o.message_id)
                      from ps.outbox o join ps.branch b on b.branch_id = o.branch_id
                      where o.branch_id = p_branch_id and o.channel = 'print' and o.status in ('pending', 'printed')
                        and o.created_at >= ps.local_day_start(p_date, b.time_zone)
                        and o.created_at < ps.local_day_start(p_date + 1, b.time_zone)), '[]') end
    $$;
comment on function ps.print_batch(bigint, date) is 'The print notices a branch queued on a day, ready to render one per page (null when the branch is not visible).';

create or replace function ps.mark_print_batch_printed(p_branch_id bigint, p_date date) returns jsonb
    language sql volatile
    as $$
        with b as (select branch_id, time_zone from ps.branch where branch_id = p_branch_id),
        done as (
            update ps.outbox o set status = 'printed', printed_at = now(),
                printed_by = coalesce(ps.request_setting('ps.actor'), session_user)
            from b where o.branch_id = b.branch_id and o.channel = 'print' and o.status = 'pending'
              and o.created_at >= ps.local_day_start(p_date, b.time_zone) and o.created_at < ps.local_day_start(p_date + 1, b.time_zone)
            returning 1)
        select case when exists (select 1 from b) then jsonb_build_object('printed', (select count(*) from done)) end
    $$;
comment on function ps.mark_print_batch_printed(bigint, date) is 'Marks a branch''s print batch for a day printed; returns how many notices it marked.';

create or replace function ps.notice_metrics() returns jsonb
    language sql stable
    as $$
        select jsonb_build_object(
            'counts', coalesce((select jsonb_agg(jsonb_build_object('kind', kind, 'status', status, 'count', n))
                                from (select kind, status, count(*) as n from ps.outbox group by kind, status) c), '[]'),
            'oldestPendingSeconds', coalesce((select extract(epoch from now() - min(created_at)) from ps.outbox
                                              where status = 'pending' and channel <> 'print'), 0))
    $$;
comment on function ps.notice_metrics() is 'Notices by kind and status, and the age in seconds of the oldest unsent e-mail or text notice (0 when none).';
