-- Queues one reminder per active membership entering its policy's reminder window as of p_as_of, to
-- the patron's notification address: an e-mail, or a print notice when the patron has no e-mail address.
create or replace function ps.queue_membership_reminders(p_as_of timestamptz) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_as_of timestamptz := coalesce(p_as_of, now());
        v_ids bigint[];
    begin
        if ps.current_staff_role() not in ('library_admin', 'consortium_admin') then
            raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Administrators queue reminders.';
        end if;
        -- The notice jobs' lock (see ps.run_notice_jobs): one queueing run at a time, no deadlocks.
        perform pg_advisory_xact_lock(7061747269001);
        with due as (
            select m.membership_id, m.patron_id, m.ends_at, mp.name
            from ps.membership m
            join ps.membership_policy mp using (membership_policy_id)
            join ps.patron p on p.patron_id = m.patron_id and p.deleted_at is null
            where m.state = 'active' and m.reminded_at is null and mp.reminder_days is not null
              and v_as_of < m.ends_at and v_as_of >= m.ends_at - make_interval(days => mp.reminder_days)
            for update of m skip locked),
        marked as (update ps.membership m set reminded_at = now() from due where m.membership_id = due.membership_id)
        select coalesce(array_agg(id) filter (where id is not null), '{}') into v_ids from (
            select ps.enqueue_notice(patron_id, 'membership_expiry_reminder',
                       jsonb_build_object('membershipId', membership_id, 'policy', name, 'endsAt', ends_at),
                       'membership:' || membership_id || ':' || ends_at, null, false, null) as id
            from due) q;
        return jsonb_build_object(
            'queued', (select count(*) from ps.outbox where message_id = any (v_ids) and channel = 'email'),
            'print', (select count(*) from ps.outbox where message_id = any (v_ids) and channel = 'print'));
    end $$;
comment on function ps.queue_membership_reminders(timestamptz) is
    'Queues membership expiry reminders (once per membership) for memberships within their policy''s reminder days of expiry as of p_as_of (null: now): e-mails, or print notices for patrons with no e-mail; returns how many of each.';
