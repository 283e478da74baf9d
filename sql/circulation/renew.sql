-- Loans the caller's institution lent, locked, or 404.
create or replace function ps.lock_own_loan(p_loan_id bigint) returns ps.loan
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_loan loan;
    begin
        select * into v_loan from loan where loan_id = p_loan_id;
        if v_loan.loan_id is null or not ps.can_write_institution(v_loan.institution_id)
           or ps.current_staff_role() not in ('circulation_supervisor', 'circulation_staff', 'library_admin', 'consortium_admin') then
            raise exception using errcode = 'PS404', message = 'loan_not_found', detail = 'No such loan.';
        end if;
        perform 1 from patron where patron_id = v_loan.patron_id for update;
        select * into v_loan from loan where loan_id = p_loan_id for update;
        return v_loan;
    end $$;
comment on function ps.lock_own_loan(bigint) is 'Locks a loan the caller''s institution lent (and its patron), or PS404.';

create or replace function ps.renew(p_loan_id bigint, p_due_at timestamptz, p_override_comment text, p_acknowledged text[]) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_loan loan := ps.lock_own_loan(p_loan_id);
        v_cleared record;
        v_days integer;
        v_suspension suspension;
        v_past_due boolean;
    begin
        if v_loan.state <> 'active' then
            raise exception using errcode = 'PS409', message = 'loan_not_active', detail = 'Only active loans renew.';
        end if;
        select * into v_cleared from clear_alerts(v_loan.patron_id, v_loan.checkout_branch_id, 'renewal', 0, p_override_comment, p_acknowledged);
        v_past_due := ps.check_due_date(p_due_at);
        v_days := ps.loan_days_overdue(v_loan);
        update loan set due_at = coalesce(p_due_at, greatest(due_at, now()) + make_interval(days => ps.loan_period_days(v_loan.checkout_branch_id))), renewals = renewals + 1,
            override_comment = case when cardinality(v_cleared.overridden) > 0 then p_override_comment else override_comment end,
            overridden_by = case when v_past_due then ps.request_setting('ps.actor') else overridden_by end,
            acknowledged_alerts = acknowledged_alerts || v_cleared.acknowledged || case when v_past_due then array['past_due_date'] else '{}' end
        where loan_id = p_loan_id returning * into v_loan;
        v_suspension := ps.suspend_for_overdue(v_loan, v_days);
        return ps.api(to_jsonb(v_loan)) || jsonb_build_object('overriddenAlerts', to_jsonb(v_cleared.overridden),
            'suspension', case when v_suspension.suspension_id is not null then ps.api(to_jsonb(v_suspension)) end);
    end $$;
comment on function ps.renew(bigint, timestamptz, text, text[]) is
    'Renews a loan, honouring Block renewal when limit is exceeded (a Verify Patron block, a suspension or an expired membership always needs an override), and applies the overdue suspension when it was overdue.';
