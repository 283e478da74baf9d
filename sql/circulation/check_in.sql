-- Check-in and renewal apply overdue suspensions
-- Days a loan is overdue now, in its checkout branch's time zone.
create or replace function ps.loan_days_overdue(p_loan ps.loan) returns integer
    language sql stable
    as $$
        select ps.days_overdue(p_loan.due_at, ps.local_today(b.time_zone), b.time_zone)
        from ps.branch b where b.branch_id = p_loan.checkout_branch_id
    $$;
comment on function ps.loan_days_overdue(ps.loan) is 'Days a loan is overdue now, counted in its checkout branch''s time zone.';

create or replace function ps.check_in(p_loan_id bigint) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_loan loan := ps.lock_own_loan(p_loan_id);
        v_fines accruing_fines_policy;
        v_days integer;
        v_fine bigint;
        v_suspension suspension;
    begin
        if v_loan.state = 'returned' then
            raise exception using errcode = 'PS409', message = 'already_returned', detail = 'That loan was already checked in.';
        end if;
        select * into v_fines from accruing_fines_policy where institution_id = v_loan.institution_id;
        v_days := ps.loan_days_overdue(v_loan);
        v_fine := ps.overdue_fine(v_days, v_fines.daily_fine_minor, v_fines.max_fine_minor);
        update loan set state = 'returned', returned_at = now() where loan_id = p_loan_id returning * into v_loan;
        if v_fine > 0 then
            insert into bill (institution_id, patron_id, loan_id, kind, reason, amount_minor, posted_at)
            values (v_loan.institution_id, v_loan.patron_id, v_loan.loan_id, 'overdue_fine', 'Overdue', v_fine, now());
        end if;
        v_suspension := ps.suspend_for_overdue(v_loan, v_days);
        return ps.api(to_jsonb(v_loan)) || jsonb_build_object('postedFineMinor', v_fine, 'currency', ps.institution_currency(v_loan.institution_id),
            'suspension', case when v_suspension.suspension_id is not null then ps.api(to_jsonb(v_suspension)) end);
    end $$;
comment on function ps.check_in(bigint) is
    'Checks a loan in, posts its overdue fine (days overdue in the branch''s time zone × the daily rate, up to the maximum) and applies the overdue suspension.';
