-- Queues one reminder per active membership entering its policy's reminder window, to the patron's
-- notification address: an e-mail, or a print notice when the patron has no e-mail address.
create or replace function ps.queue_membership_reminders() returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_queued integer := 0;
        v_print integer := 0;
        v_row record;
    begin
        if ps.current_staff_role() not in ('library_admin', 'consortium_admin') then
            raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Administrators queue reminders.';
        end if;
        for v_row in
            select m.membership_id, m.institution_id, m.patron_id, m.ends_at, mp.name, p.registered_branch_id, a.channel, a.address,
                   jsonb_build_object('name', p.first_name || ' ' || p.last_name, 'line1', p.address_line1, 'line2', p.address_line2,
                       'city', p.city, 'state', p.state, 'postalCode', p.postal_code, 'country', p.country) as postal
            from ps.membership m
            join ps.membership_policy mp using (membership_policy_id)
            join ps.patron p on p.patron_id = m.patron_id and p.deleted_at is null
            cross join lateral ps.notification_address(m.patron_id) a
            where m.state = 'active' and m.reminded_at is null and mp.reminder_days is not null
              and now() < m.ends_at and now() >= m.ends_at - make_interval(days => mp.reminder_days)
            for update of m
        loop
            insert into ps.outbox (institution_id, kind, channel, patron_id, branch_id, recipients, payload)
            values (v_row.institution_id, 'membership_expiry_reminder', v_row.channel, v_row.patron_id, v_row.registered_branch_id,
                    case when v_row.channel = 'email' then array[v_row.address] else '{}' end,
                    jsonb_build_object('membershipId', v_row.membership_id, 'policy', v_row.name, 'endsAt', v_row.ends_at)
                    || case when v_row.channel = 'print' then jsonb_build_object('postalAddress', v_row.postal) else '{}' end);
            if v_row.channel = 'email' then v_queued := v_queued + 1; else v_print := v_print + 1; end if;
            update ps.membership set reminded_at = now() where membership_id = v_row.membership_id;
        end loop;
        return jsonb_build_object('queued', v_queued, 'print', v_print);
    end $$;
comment on function ps.queue_membership_reminders() is
    'Queues membership expiry reminders (once per membership) for memberships within their policy''s reminder days of expiry: e-mails, or print notices for patrons with no e-mail; returns how many of each.';
