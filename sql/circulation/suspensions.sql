-- Inserts a suspension of up to p_minutes starting when the patron's current one ends. The cap comes
-- from the patron type policy of the patron's home institution; returns null when the type is never
-- suspended and p_strict is false. Callers hold the patron's row lock (suspend_patron, and check-in and
-- renewal through lock_own_loan), which keeps two suspensions from starting at the same moment.
create or replace function ps.impose_suspension(p_patron_id bigint, p_institution_id bigint, p_minutes integer, p_reason text,
                                     p_loan_id bigint, p_strict boolean)
    returns ps.suspension
    language plpgsql volatile
    as $$
    declare
        v_max integer;
        v_start timestamptz;
        v_row ps.suspension;
    begin
        select pp.max_suspension_minutes into v_max from ps.patron p
        join ps.patron_type_policy pp on pp.institution_id = p.institution_id and pp.patron_type_id = p.patron_type_id
        where p.patron_id = p_patron_id;
        if v_max = 0 then
            if p_strict then
                raise exception using errcode = 'PS409', message = 'never_suspended', detail = 'This patron type is never suspended.';
            end if;
            return null;
        end if;
        select greatest(now(), coalesce(max(ends_at), now())) into v_start from ps.suspension
        where patron_id = p_patron_id and lifted_at is null;
        insert into ps.suspension (institution_id, patron_id, starts_at, ends_at, reason, created_by, loan_id)
        values (p_institution_id, p_patron_id, v_start, v_start + make_interval(mins => least(p_minutes, coalesce(v_max, p_minutes))),
            coalesce(p_reason, ''), coalesce(nullif(ps.request_setting('ps.actor'), ''), session_user), p_loan_id)
        returning * into v_row;
        return v_row;
    end $$;
comment on function ps.impose_suspension(bigint, bigint, integer, text, bigint, boolean) is
    'Inserts a suspension starting when the patron''s current one ends, capped by the maximum suspension period; 0 refuses (strict) or skips.';

create or replace function ps.suspend_patron(p_patron_id bigint, p_minutes integer, p_reason text) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_patron ps.patron;
        v_row ps.suspension;
    begin
        select * into v_patron from ps.patron where patron_id = p_patron_id and deleted_at is null for update;
        if not found or ps.current_staff_role() not in ('circulation_supervisor', 'circulation_staff', 'library_admin', 'consortium_admin') then
            raise exception using errcode = 'PS404', message = 'patron_not_found', detail = 'No such patron.';
        end if;
        if p_minutes is null or p_minutes <= 0 or p_minutes > ps.max_suspension_minutes() then
            raise exception using errcode = 'PS422', message = 'validation_failed',
                detail = format('A positive number of minutes, at most %s.', ps.max_suspension_minutes()), hint = 'minutes:invalid';
        end if;
        v_row := ps.impose_suspension(p_patron_id, v_patron.institution_id, p_minutes, p_reason, null, true);
        return ps.api(to_jsonb(v_row)) || jsonb_build_object('cappedAt', (
            select max_suspension_minutes from ps.patron_type_policy
            where institution_id = v_patron.institution_id and patron_type_id = v_patron.patron_type_id));
    end $$;
comment on function ps.suspend_patron(bigint, integer, text) is
    'Suspends a patron, capped by the patron type policy''s maximum suspension period (No Limit when null; 0: never suspended); cumulative.';

create or replace function ps.suspend_for_overdue(p_loan ps.loan, p_days integer) returns ps.suspension
    language plpgsql volatile
    as $$
    declare
        v_rate integer;
    begin
        select minutes_per_day_overdue into v_rate from ps.overdue_suspension_policy where institution_id = p_loan.institution_id;
        if coalesce(v_rate, 0) = 0 or p_days <= 0 then
            return null;
        end if;
        return ps.impose_suspension(p_loan.patron_id, p_loan.institution_id, p_days * v_rate,
            format('Loan %s returned or renewed %s days overdue', p_loan.loan_id, p_days), p_loan.loan_id, false);
    end $$;
comment on function ps.suspend_for_overdue(ps.loan, integer) is
    'Applies the lending institution''s overdue suspension (minutes per day overdue), capped by the patron''s maximum suspension period and skipped when the type is never suspended.';

create or replace function ps.lift_suspension(p_suspension_id bigint) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_row ps.suspension;
    begin
        update ps.suspension set lifted_at = now(), lifted_by = coalesce(nullif(ps.request_setting('ps.actor'), ''), session_user)
        where suspension_id = p_suspension_id and lifted_at is null
          and ps.current_staff_role() in ('circulation_supervisor', 'library_admin', 'consortium_admin')
        returning * into v_row;
        return case when v_row.suspension_id is not null then ps.api(to_jsonb(v_row)) end;
    end $$;
comment on function ps.lift_suspension(bigint) is 'Lifts a suspension (kept, with who lifted it and when); supervisors and administrators of the imposing institution.';

-- Suspensions of a patron the caller may see: its own patrons' and those of its circulation groups.
create or replace function ps.patron_suspensions(p_patron_id bigint) returns jsonb
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select coalesce(jsonb_agg(ps.api(to_jsonb(s)) || jsonb_build_object('current', s.lifted_at is null and now() between s.starts_at and s.ends_at)
                                  order by s.starts_at), '[]')
        from suspension s where s.patron_id = p_patron_id
        having exists (select 1 from patron p where p.patron_id = p_patron_id and p.deleted_at is null
                       and ps.current_staff_role() in ('consortium_admin', 'library_admin', 'circulation_supervisor', 'circulation_staff')
                       and ps.caller_shares_circulation(p.institution_id))
    $$;
comment on function ps.patron_suspensions(bigint) is 'A patron''s suspensions, from every institution, with whether each is in force; null when the caller cannot see the patron.';
