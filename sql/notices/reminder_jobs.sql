-- The reminder jobs, run once a day by the service (and by `patron-services notices run [--date D]`):
-- almost overdue / auto-renew, patron record expiration and inactive patron (Polaris, each skipping a
-- patron who opted out where the branch offers that opt-out), bill reminders after N days unpaid (WMS:
-- no individual opt-out), and membership expiry reminders. Every notice has a dedupe key, so a second
-- run for the same day, or two processes running at once, queue each notice once.
-- Each job reads its settings (per branch) or policies once, materialized, and reaches its rows through an
-- index on the window they fall in: as written first, the settings' look-ups ran once per joined row and
-- the bill job called ps.notification_policy_of once per outstanding bill, so at a million patrons the
-- jobs took 33 s and the service's 15 s statement timeout cancelled every run.

-- Per branch: a reminder's days setting and whether its opt-out is offered there.
create or replace function ps.reminder_settings(p_days_setting text, p_optout_setting text)
    returns table (branch_id bigint, time_zone text, days integer, optout_offered boolean)
    language sql stable
    as $$
        select b.branch_id, b.time_zone,
               (select (r.value #>> '{}')::integer from ps.resolve_setting(b.branch_id, p_days_setting) r),
               coalesce((select (r.value #>> '{}')::boolean from ps.resolve_setting(b.branch_id, p_optout_setting) r), false)
        from ps.branch b
    $$;
comment on function ps.reminder_settings(text, text) is
    'For every branch: its time zone, the value of a reminder''s days setting and whether the reminder''s opt-out setting is on there (the opt-out counts only where offered).';

create or replace function ps.queue_almost_overdue(p_date date) returns bigint[]
    language sql volatile
    as $$
        -- Each branch's window (from the start of p_date to the end of its last day, in its time zone) once.
        with s as materialized (
                select r.*, ps.local_day_start(p_date, r.time_zone) as window_start,
                       ps.local_day_start(p_date + r.days + 1, r.time_zone) as window_end
                from ps.reminder_settings('notices.almost_overdue_days', 'pac.optout_almost_overdue_auto_renew') r where r.days > 0),
        due as (
            select l.loan_id, l.patron_id, l.due_at
            from ps.loan l
            join ps.patron p on p.patron_id = l.patron_id and p.deleted_at is null
            join s on s.branch_id = p.registered_branch_id
            where l.state = 'active'
              and l.due_at >= (select min(window_start) from s)
              and l.due_at < (select max(window_end) from s)
              and l.due_at >= s.window_start and l.due_at < s.window_end
              and l.almost_overdue_notified_for is distinct from l.due_at
              and not (s.optout_offered and p.exclude_almost_overdue_auto_renew)
            for update of l skip locked),
        marked as (update ps.loan l set almost_overdue_notified_for = due.due_at from due where l.loan_id = due.loan_id)
        select coalesce(array_agg(id) filter (where id is not null), '{}') from (
            select ps.enqueue_notice(patron_id, 'almost_overdue', jsonb_build_object('loanIds', jsonb_agg(loan_id order by due_at, loan_id)),
                       'almost_overdue:' || patron_id || ':' || p_date, null, true, null) as id
            from due group by patron_id) q
    $$;
comment on function ps.queue_almost_overdue(date) is
    'Queues one almost overdue / auto-renew reminder per patron for the active loans due within the branch''s days of p_date not yet reminded for that due date; skips patrons who opted out where offered. Returns the queued message ids.';

create or replace function ps.queue_expiration_reminders(p_date date) returns bigint[]
    language sql volatile
    as $$
        select coalesce(array_agg(id) filter (where id is not null), '{}') from (
            select ps.enqueue_notice(p.patron_id, 'patron_record_expiration', jsonb_build_object('expiresOn', p.expiration_date),
                       'patron_record_expiration:' || p.patron_id || ':' || p.expiration_date, null, true, null) as id
            from ps.reminder_settings('notices.expiration_reminder_days', 'pac.optout_patron_record_expiration') s
            join ps.patron p on p.registered_branch_id = s.branch_id and p.deleted_at is null
            where s.days > 0 and p.expiration_date between p_date and p_date + s.days
              and not (s.optout_offered and p.exclude_patron_rec_expiration)) q
    $$;
comment on function ps.queue_expiration_reminders(date) is
    'Queues the patron record expiration reminder for patrons whose registration expires within the branch''s days of p_date (once per expiration date); skips patrons who opted out where offered.';

create or replace function ps.queue_inactive_reminders(p_date date) returns bigint[]
    language sql volatile
    as $$
        with s as materialized (
                select r.*, ps.local_day_start(p_date - r.days, r.time_zone) as inactive_before
                from ps.reminder_settings('notices.inactive_patron_days', 'pac.optout_inactive_patron') r where r.days > 0)
        select coalesce(array_agg(id) filter (where id is not null), '{}') from (
            select ps.enqueue_notice(p.patron_id, 'inactive_patron',
                       jsonb_build_object('since', coalesce(p.last_activity_at, p.created_at)),
                       'inactive_patron:' || p.patron_id || ':' || coalesce(p.last_activity_at, p.created_at)::date, null, true, null) as id
            from ps.patron p
            join s on s.branch_id = p.registered_branch_id
            where p.deleted_at is null
              and coalesce(p.last_activity_at, p.created_at) < (select max(inactive_before) from s)
              and coalesce(p.last_activity_at, p.created_at) < s.inactive_before
              and not (s.optout_offered and p.exclude_inactive_patron)) q
    $$;
comment on function ps.queue_inactive_reminders(date) is
    'Queues the inactive patron reminder for patrons with no checkout, renewal or sign-in for the branch''s days before p_date (once per spell of inactivity); skips patrons who opted out where offered.';

-- WMS: "WorldShare Circulation does not allow individual patrons to opt-out of email notices": no opt-out here.
create or replace function ps.queue_bill_reminders(p_date date) returns bigint[]
    language sql volatile
    as $$
        with pol as materialized (
                select pp.institution_id, pp.patron_type_id, n.reminder_days, n.bill_kinds
                from ps.patron_type_policy pp join ps.notification_policy n on n.notification_policy_id = pp.bill_notification_policy_id
                where cardinality(n.reminder_days) > 0)
        select coalesce(array_agg(id) filter (where id is not null), '{}') from (
            select ps.enqueue_notice(b.patron_id, 'bill_notice', jsonb_build_object('billId', b.bill_id, 'reminderDays', d.days),
                       'bill:' || b.bill_id || ':reminder:' || d.days, null, false, null) as id
            from pol
            join ps.patron p on p.institution_id = pol.institution_id and p.patron_type_id = pol.patron_type_id and p.deleted_at is null
            join ps.bill b on b.patron_id = p.patron_id
            join ps.branch br on br.branch_id = p.registered_branch_id
            cross join lateral (select max(x) as days from unnest(pol.reminder_days) x
                                where ps.local_date(b.posted_at, br.time_zone) + x <= p_date) d
            where b.state = 'outstanding' and b.posted_at is not null and b.amount_minor > b.paid_minor + b.waived_minor
              and d.days is not null and (cardinality(pol.bill_kinds) = 0 or b.kind = any (pol.bill_kinds))
              and not exists (select 1 from ps.outbox o where o.dedupe_key = 'bill:' || b.bill_id || ':reminder:' || d.days)) q
    $$;
comment on function ps.queue_bill_reminders(date) is
    'Queues a bill reminder for each posted bill still unpaid the policy''s reminder days after posting (the longest such reminder not yet sent), per the patron''s Bill Notification Policy.';

create or replace function ps.run_notice_jobs(p_date date) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_date date := coalesce(p_date, ps.local_today((select time_zone from ps.consortium)));
        v_ids bigint[] := '{}';
        v_membership jsonb;
    begin
        if ps.current_staff_role() not in ('library_admin', 'consortium_admin') then
            raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Administrators run notice jobs.';
        end if;
        -- One run at a time: two runs inserting the same dedupe keys in different orders deadlocked (seen
        -- in a test). The second waits for the first to commit, then finds everything already queued.
        perform pg_advisory_xact_lock(7061747269001);  -- "patr" + 1: the notice jobs
        v_ids := v_ids || ps.queue_almost_overdue(v_date) || ps.queue_expiration_reminders(v_date) || ps.queue_inactive_reminders(v_date)
                       || ps.queue_bill_reminders(v_date);
        v_membership := ps.queue_membership_reminders(ps.local_day_start(v_date + 1, (select time_zone from ps.consortium)));
        return jsonb_build_object('date', v_date, 'queued', coalesce((
            select jsonb_object_agg(kind, channels) from (
                select kind, jsonb_object_agg(channel, n) as channels from (
                    select kind, channel, count(*) as n from ps.outbox where message_id = any (v_ids) group by kind, channel) c
                group by kind) k), '{}'),
            'membershipReminders', v_membership);
    end $$;
comment on function ps.run_notice_jobs(date) is
    'Runs every reminder job for a day (default: today in the consortium''s time zone) and returns what was queued by kind and channel; idempotent per day.';
