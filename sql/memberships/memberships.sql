-- Opens a membership for a patron under a policy: a posted membership fee bill and a pending
-- membership, or (free policies) an active one at once. A renewal starts when the current one ends.
create or replace function ps.open_membership(p_patron_id bigint, p_policy_id bigint) returns ps.membership
    language plpgsql volatile
    as $$
    declare
        v_policy ps.membership_policy;
        v_patron ps.patron;
        v_bill bigint;
        v_start timestamptz;
        v_row ps.membership;
    begin
        select * into v_policy from ps.membership_policy where membership_policy_id = p_policy_id;
        select * into v_patron from ps.patron where patron_id = p_patron_id;
        if v_policy.fee_minor > 0 then
            insert into ps.bill (institution_id, patron_id, kind, reason, amount_minor, posted_at)
            values (v_policy.institution_id, p_patron_id, 'membership_fee', v_policy.bill_reason, v_policy.fee_minor, now())
            returning bill_id into v_bill;
            insert into ps.membership (institution_id, patron_id, membership_policy_id, bill_id)
            values (v_policy.institution_id, p_patron_id, p_policy_id, v_bill) returning * into v_row;
        else
            select greatest(now(), coalesce(max(ends_at), now())) into v_start from ps.membership
            where patron_id = p_patron_id and state = 'active';
            insert into ps.membership (institution_id, patron_id, membership_policy_id, state, starts_at, ends_at)
            values (v_policy.institution_id, p_patron_id, p_policy_id, 'active', v_start, v_start + make_interval(days => v_policy.period_days))
            returning * into v_row;
        end if;
        return v_row;
    end $$;
comment on function ps.open_membership(bigint, bigint) is
    'Opens a membership: bills the fee (pending until paid) or, when free, activates it at once; a renewal starts when the current membership ends.';

-- A membership bill is generated when the patron record is created.
create or replace function ps.membership_on_patron_created() returns trigger
    language plpgsql
    as $$
    begin
        -- Once per statement over its new rows (an import inserts a million at once), not once per row.
        perform ps.open_membership(n.patron_id, pp.membership_policy_id)
        from new_patrons n
        join ps.patron_type_policy pp on pp.institution_id = n.institution_id and pp.patron_type_id = n.patron_type_id
        where pp.membership_policy_id is not null;
        return null;
    end $$;
create trigger membership_on_patron_created after insert on ps.patron
    referencing new table as new_patrons for each statement execute function ps.membership_on_patron_created();
comment on function ps.membership_on_patron_created() is
    'Trigger on ps.patron (per statement): every patron record created under a policy that names a membership policy opens a membership and bills its fee.';

-- Paying (or waiving) the membership bill makes the membership active; cancelling it cancels it.
create or replace function ps.membership_on_bill_settled() returns trigger
    language plpgsql
    as $$
    declare
        v_start timestamptz;
    begin
        if new.kind <> 'membership_fee' or new.state = old.state then
            return null;
        end if;
        if new.state in ('paid', 'waived') then
            select greatest(now(), coalesce(max(ends_at), now())) into v_start from ps.membership
            where patron_id = new.patron_id and state = 'active';
            update ps.membership m set state = 'active', starts_at = v_start,
                ends_at = v_start + make_interval(days => (select period_days from ps.membership_policy mp
                                                           where mp.membership_policy_id = m.membership_policy_id))
            where m.bill_id = new.bill_id and m.state = 'pending';
        elsif new.state = 'cancelled' then
            update ps.membership set state = 'cancelled' where bill_id = new.bill_id and state = 'pending';
        end if;
        return null;
    end $$;
create trigger membership_on_bill_settled after update of state on ps.bill
    for each row execute function ps.membership_on_bill_settled();
comment on function ps.membership_on_bill_settled() is
    'Trigger on ps.bill: paying or waiving a membership fee activates its membership; cancelling the bill cancels it.';

-- The membership status of one patron under its home institution's patron type policy. PL/pgSQL,
-- not SQL: eligibility calls it on every check, and PL/pgSQL keeps its plan for the session.
create or replace function ps.membership_status(p_patron_id bigint)
    returns table (status text, required_policy_id bigint, membership_id bigint, ends_at timestamptz)
    language plpgsql stable security definer set search_path = ps, pg_temp
    as $$
    begin
        return query
        select case when pp.membership_policy_id is null then 'not_required'
                    when m.membership_id is null then 'unknown'
                    when m.state = 'pending' then 'pending'
                    when m.ends_at > now() then 'active'
                    else 'expired' end,
               pp.membership_policy_id, m.membership_id, m.ends_at
        from patron p
        left join patron_type_policy pp on pp.institution_id = p.institution_id and pp.patron_type_id = p.patron_type_id
        left join lateral (
            select * from membership m where m.patron_id = p.patron_id and m.state <> 'cancelled'
            -- The best membership decides: a current one, else a pending one, else the latest that ran out.
            order by (m.state = 'active' and m.ends_at > now()) desc, (m.state = 'pending') desc, m.ends_at desc nulls last
            limit 1) m on pp.membership_policy_id is not null
        where p.patron_id = p_patron_id;
    end $$;
comment on function ps.membership_status(bigint) is
    'A patron''s membership status: not_required (no membership policy on the patron type policy), unknown (no membership: older records), pending (fee not yet paid), active, or expired.';

-- Staff open (or renew) a patron's membership: under the given policy of the patron's home
-- institution, else the one its patron type policy requires.
create or replace function ps.renew_membership(p_patron_id bigint, p_policy_id bigint) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_patron ps.patron;
        v_policy bigint;
        v_id bigint;
    begin
        select * into v_patron from ps.patron where patron_id = p_patron_id and deleted_at is null for update;
        if not found then
            return null;
        end if;
        v_policy := coalesce(p_policy_id, (select required_policy_id from ps.membership_status(p_patron_id)));
        if v_policy is null then
            raise exception using errcode = 'PS409', message = 'no_membership_policy',
                detail = 'The patron''s type has no membership policy; name one.', hint = 'membershipPolicyId:required';
        end if;
        if not exists (select 1 from ps.membership_policy where membership_policy_id = v_policy and institution_id = v_patron.institution_id) then
            raise exception using errcode = 'PS422', message = 'validation_failed',
                detail = 'No such membership policy at the patron''s home institution.', hint = 'membershipPolicyId:not_found';
        end if;
        v_id := (ps.open_membership(p_patron_id, v_policy)).membership_id;
        return (select ps.api(to_jsonb(m)) from ps.patron_membership m where m.membership_id = v_id);
    end $$;
comment on function ps.renew_membership(bigint, bigint) is
    'Opens or renews a patron''s membership (fee billed, active once paid; a renewal starts when the current membership ends).';

-- Memberships shown on the patron's account, whatever policy they were opened under.
create or replace view ps.patron_membership with (security_invoker = true) as
    select m.institution_id, m.membership_id, m.patron_id, m.membership_policy_id, mp.name as membership_policy_name,
           m.bill_id, case when m.state = 'active' and m.ends_at <= now() then 'expired' else m.state end as state,
           m.starts_at, m.ends_at, m.created_at
    from ps.membership m join ps.membership_policy mp using (membership_policy_id);
comment on view ps.patron_membership is
    'Memberships on patrons'' accounts with their state (pending, active, expired, cancelled); active memberships keep showing after their policy is removed from the patron type.';
