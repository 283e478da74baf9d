-- What a template can say: the variables of each notice kind (checked when a template is saved) and
-- the context a notice renders with. Both live here so they cannot drift apart; a test renders every
-- kind's context and checks each listed variable resolves.

create or replace function ps.notice_variables(p_kind text) returns text[]
    language sql immutable
    as $$
        select array['today', 'patron.firstName', 'patron.lastName', 'patron.barcode', 'library.name', 'branch.name', 'branch.email',
                     'address.name', 'address.line1', 'address.line2', 'address.city', 'address.state', 'address.postalCode', 'address.country']
            || case p_kind
                when 'patron_change_confirmation' then array['changes', 'changes.field', 'changes.outcome']
                when 'staff_change_request' then array['request.id', 'request.fields']
                when 'membership_expiry_reminder' then array['membership.policy', 'membership.endsOn']
                when 'bill_notice' then array['bill', 'bill.kind', 'bill.reason', 'bill.amount', 'bill.balance', 'bill.postedOn',
                                              'bill.reminder', 'bill.daysUnpaid']
                when 'suspension_notice' then array['suspension', 'suspension.startsOn', 'suspension.endsOn', 'suspension.reason',
                                                    'suspension.lifted']
                when 'account_overview' then array['account.openLoans', 'account.overdueLoans', 'account.balance', 'loans',
                                                   'loans.title', 'loans.barcode', 'loans.dueOn', 'loans.overdue']
                when 'almost_overdue' then array['loans', 'loans.title', 'loans.barcode', 'loans.dueOn']
                when 'patron_record_expiration' then array['expiration.expiresOn', 'expiration.daysLeft']
                when 'inactive_patron' then array['inactivity.since']
                else '{}'::text[] end
    $$;
comment on function ps.notice_variables(text) is
    'The Mustache variables (dotted paths; a list''s item fields as list.field) a template of a notice kind may use.';

-- The kind-specific part reads the payload's ids; without them (a template preview) it shows the
-- patron's latest matching record, so staff see a realistic notice.
create or replace function ps.notice_context(p_kind text, p_patron_id bigint, p_payload jsonb) returns jsonb
    language sql stable
    as $$
        select jsonb_build_object(
            'today', ps.local_date(now(), b.time_zone),
            'patron', jsonb_build_object('firstName', p.first_name, 'lastName', p.last_name, 'barcode', p.barcode),
            'address', jsonb_build_object('name', p.first_name || ' ' || p.last_name, 'line1', p.address_line1, 'line2', p.address_line2,
                'city', p.city, 'state', p.state, 'postalCode', p.postal_code, 'country', p.country),
            'library', jsonb_build_object('name', l.name),
            'branch', jsonb_build_object('name', b.name, 'email', b.staff_email))
        || case p_kind
            when 'patron_change_confirmation' then jsonb_build_object('changes', coalesce((
                select jsonb_agg(jsonb_build_object('field', key, 'outcome', replace(value->>'outcome', '_', ' ')) order by key)
                from jsonb_each(coalesce(p_payload->'fields', '{}'))), '[]'))
            when 'staff_change_request' then jsonb_build_object('request', jsonb_build_object('id', p_payload->'requestId',
                'fields', (select string_agg(f, ', ') from jsonb_array_elements_text(coalesce(p_payload->'fields', '[]')) f)))
            when 'membership_expiry_reminder' then jsonb_build_object('membership', (
                select jsonb_build_object('policy', mp.name, 'endsOn', ps.local_date(m.ends_at, b.time_zone))
                from ps.membership m join ps.membership_policy mp using (membership_policy_id)
                where m.patron_id = p.patron_id and (m.membership_id = (p_payload->>'membershipId')::bigint or p_payload->'membershipId' is null)
                order by m.membership_id desc limit 1))
            when 'bill_notice' then jsonb_build_object('bill', (
                select jsonb_build_object('kind', replace(x.kind, '_', ' '), 'reason', nullif(x.reason, ''),
                    'amount', ps.format_money(x.amount_minor, x.currency),
                    'balance', ps.format_money(x.amount_minor - x.paid_minor - x.waived_minor, x.currency),
                    'postedOn', ps.local_date(x.posted_at, b.time_zone),
                    'reminder', p_payload->>'reminderDays' is not null, 'daysUnpaid', p_payload->'reminderDays')
                from ps.bill x
                where x.patron_id = p.patron_id and (x.bill_id = (p_payload->>'billId')::bigint or p_payload->'billId' is null)
                order by x.bill_id desc limit 1))
            when 'suspension_notice' then jsonb_build_object('suspension', (
                select jsonb_build_object('startsOn', ps.local_date(s.starts_at, b.time_zone), 'endsOn', ps.local_date(coalesce(s.lifted_at, s.ends_at), b.time_zone),
                    'reason', s.reason, 'lifted', coalesce((p_payload->>'lifted')::boolean, s.lifted_at is not null))
                from ps.suspension s
                where s.patron_id = p.patron_id and (s.suspension_id = (p_payload->>'suspensionId')::bigint or p_payload->'suspensionId' is null)
                order by s.suspension_id desc limit 1))
            when 'account_overview' then jsonb_build_object(
                'account', jsonb_build_object(
                    'openLoans', (select count(*) from ps.loan x where x.patron_id = p.patron_id and x.state = 'active'),
                    'overdueLoans', (select count(*) from ps.loan x where x.patron_id = p.patron_id and x.state = 'active' and x.due_at < now()),
                    -- Per currency, should the patron owe libraries that count in different ones (amounts are never
                    -- added across currencies); nothing owed is zero in the patron's library's currency.
                    'balance', coalesce((select string_agg(ps.format_money(o.minor, o.currency), ', ' order by o.currency)
                        from (select x.currency, sum(x.amount_minor - x.paid_minor - x.waived_minor)::bigint as minor from ps.bill x
                              where x.patron_id = p.patron_id and x.state = 'outstanding' and x.posted_at is not null
                              group by x.currency) o), ps.format_money(0, l.currency))),
                'loans', coalesce((select jsonb_agg(jsonb_build_object('title', i.title, 'barcode', i.barcode,
                        'dueOn', ps.local_date(x.due_at, b.time_zone), 'overdue', x.due_at < now()) order by x.due_at)
                    from ps.loan x join ps.item i using (item_id) where x.patron_id = p.patron_id and x.state = 'active'), '[]'))
            when 'almost_overdue' then jsonb_build_object('loans', coalesce((
                select jsonb_agg(jsonb_build_object('title', i.title, 'barcode', i.barcode, 'dueOn', ps.local_date(x.due_at, b.time_zone))
                       order by x.due_at, x.loan_id)
                from ps.loan x join ps.item i using (item_id)
                where x.patron_id = p.patron_id and (x.loan_id in (select jsonb_array_elements_text(p_payload->'loanIds')::bigint)
                                                     or (p_payload->'loanIds' is null and x.state = 'active'))), '[]'))
            when 'patron_record_expiration' then jsonb_build_object('expiration', jsonb_build_object(
                'expiresOn', coalesce(p_payload->>'expiresOn', p.expiration_date::text),
                'daysLeft', coalesce((p_payload->>'expiresOn')::date, p.expiration_date) - ps.local_today(b.time_zone)))
            when 'inactive_patron' then jsonb_build_object('inactivity', jsonb_build_object(
                'since', ps.local_date(coalesce((p_payload->>'since')::timestamptz, p.last_activity_at, p.created_at), b.time_zone)))
            else '{}'::jsonb end
        from ps.patron p
        join ps.library l on l.institution_id = p.institution_id
        join ps.branch b on b.branch_id = p.registered_branch_id
        where p.patron_id = p_patron_id
    $$;
comment on function ps.notice_context(text, bigint, jsonb) is
    'The values a notice of a kind renders with for a patron: patron, postal address, library, branch, today, and the kind''s own (changes, request, membership, bill, suspension, account and loans, expiration, inactivity), read from the payload''s ids.';
