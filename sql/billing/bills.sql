-- Bills: posting, payments and waivers (partial allowed)
-- A bill as the REST API shows it: its balance, and its currency (the owed library's, kept on the bill)
-- beside the minor units, so a client never has to guess what 2700 means. patron_deleted is left out: it
-- serves the Orphaned Bills report's index, and the patron's own record says whether it is deleted.
create or replace function ps.bill_api(b ps.bill) returns jsonb
    language sql stable
    as $$
        select ps.api(to_jsonb(b) - 'patron_deleted') || jsonb_build_object('balanceMinor', b.amount_minor - b.paid_minor - b.waived_minor)
    $$;
comment on function ps.bill_api(ps.bill) is 'A bill as the REST API shows it: camelCase fields, the balance in minor units and the owed institution''s currency.';

create or replace function ps.settle_bill(p_bill_id bigint, p_amount_minor bigint, p_kind text) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_bill ps.bill;
    begin
        if p_kind not in ('payment', 'waiver') then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'payment or waiver.', hint = 'kind:invalid';
        end if;
        select * into v_bill from ps.bill where bill_id = p_bill_id for update;
        if not found then
            raise exception using errcode = 'PS404', message = 'bill_not_found', detail = 'No such bill.';
        end if;
        if v_bill.state <> 'outstanding' then
            raise exception using errcode = 'PS409', message = 'bill_not_outstanding', detail = format('The bill is %s.', v_bill.state);
        end if;
        if p_amount_minor is null or p_amount_minor <= 0
           or p_amount_minor > v_bill.amount_minor - v_bill.paid_minor - v_bill.waived_minor then
            -- The body is well formed; it conflicts with the bill as it stands now.
            raise exception using errcode = 'PS409', message = 'exceeds_balance',
                detail = format('The amount must be positive and at most the balance, %s.', v_bill.amount_minor - v_bill.paid_minor - v_bill.waived_minor),
                hint = 'amountMinor:exceeds_balance';
        end if;
        update ps.bill set
            paid_minor = paid_minor + case when p_kind = 'payment' then p_amount_minor else 0 end,
            waived_minor = waived_minor + case when p_kind = 'waiver' then p_amount_minor else 0 end
        where bill_id = p_bill_id returning * into v_bill;
        if v_bill.paid_minor + v_bill.waived_minor = v_bill.amount_minor then
            update ps.bill set state = case when v_bill.paid_minor = 0 then 'waived' else 'paid' end
            where bill_id = p_bill_id returning * into v_bill;
        end if;
        return ps.bill_api(v_bill);
    end $$;
comment on function ps.settle_bill(bigint, bigint, text) is 'Records a payment or a waiver (partial allowed) against an outstanding bill; fully settled bills become paid or waived.';

-- Bills: cancelling, and the Outstanding Fees and Bills report with its orphaned bills
create or replace function ps.cancel_bill(p_bill_id bigint) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_bill ps.bill;
    begin
        if ps.current_staff_role() not in ('circulation_supervisor', 'library_admin', 'consortium_admin') then
            raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Circulation supervisors and administrators cancel bills.';
        end if;
        select * into v_bill from ps.bill where bill_id = p_bill_id for update;
        if not found then
            return null;
        end if;
        if v_bill.state <> 'outstanding' then
            raise exception using errcode = 'PS409', message = 'bill_not_outstanding', detail = format('The bill is %s.', v_bill.state);
        end if;
        update ps.bill set state = 'cancelled', cancelled_at = now(),
            cancelled_by = coalesce(nullif(ps.request_setting('ps.actor'), ''), session_user)
        where bill_id = p_bill_id returning * into v_bill;
        return ps.bill_api(v_bill);
    end $$;
comment on function ps.cancel_bill(bigint) is 'Cancels an outstanding bill (a pending membership bill cancels its membership); kept, with who cancelled it and when.';

-- The patron's bills view: current outstanding charges are posted charges plus accruing charges.
create or replace function ps.patron_bills(p_patron_id bigint) returns jsonb
    language sql stable
    as $$
        with posted as (
            select institution_id, sum(amount_minor - paid_minor - waived_minor) as minor from ps.bill
            where patron_id = p_patron_id and state = 'outstanding' and posted_at is not null group by institution_id),
        accruing as (
            select l.institution_id, sum(ps.overdue_fine(ps.days_overdue(l.due_at, ps.local_today(br.time_zone), br.time_zone),
                    f.daily_fine_minor, f.max_fine_minor)) as minor
            from ps.loan l join ps.branch br on br.branch_id = l.checkout_branch_id
            join ps.accruing_fines_policy f on f.institution_id = l.institution_id
            where l.patron_id = p_patron_id and l.state = 'active' group by l.institution_id),
        totals as (
            select institution_id, coalesce(p.minor, 0) as posted, coalesce(a.minor, 0) as accruing
            from posted p full join accruing a using (institution_id))
        select jsonb_build_object(
            'bills', coalesce((select jsonb_agg(ps.bill_api(b) order by b.bill_id)
                               from ps.bill b where b.patron_id = p_patron_id), '[]'),
            'postedMinor', (select coalesce(sum(posted), 0) from totals),
            'accruingMinor', (select coalesce(sum(accruing), 0) from totals),
            'totals', coalesce((select jsonb_agg(jsonb_build_object('institutionId', t.institution_id,
                                   'currency', ps.institution_currency(t.institution_id), 'postedMinor', t.posted, 'accruingMinor', t.accruing)
                                   order by t.institution_id) from totals t), '[]'))
        where exists (select 1 from ps.patron where patron_id = p_patron_id)
    $$;
comment on function ps.patron_bills(bigint) is 'A patron''s bills with balances, the posted outstanding total and the fines still accruing on overdue loans, and the same two totals per owed institution with its currency (a patron may owe libraries of a circulation group that count in different currencies).';

create or replace function ps.post_bill(p_patron_id bigint, p_kind text, p_amount_minor bigint) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_bill ps.bill;
    begin
        if p_amount_minor is null or p_amount_minor not between 1 and ps.max_money_minor() then
            raise exception using errcode = 'PS422', message = 'validation_failed',
                detail = format('An amount of 1 to %s minor units.', ps.max_money_minor()), hint = 'amountMinor:invalid';
        end if;
        insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at)
        -- A consortium administrator has no institution of its own: the bill is the patron's home library's.
        select coalesce(ps.current_institution_id(), p.institution_id), p.patron_id, p_kind, p_amount_minor, now()
        from ps.patron p where p.patron_id = p_patron_id
        returning * into v_bill;
        return case when v_bill.bill_id is not null then ps.bill_api(v_bill) end;
    end $$;
comment on function ps.post_bill(bigint, text, bigint) is
    'Posts a bill (counts toward the billed limit at once) owed to the caller''s institution (a consortium administrator''s: the patron''s home institution) by a patron it can see; null when it cannot.';
