create or replace function ps.checkout_blocks(p_patron_id bigint) returns table (kind text, reason text, created_at timestamptz)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select b.kind, b.reason, b.created_at from patron_block b
        where b.patron_id = p_patron_id and b.lifted_at is null order by b.created_at
    $$;
comment on function ps.checkout_blocks(bigint) is 'Active blocks that stop checkout for a patron (a Verify Patron block among them); read by the checkout eligibility check.';

create or replace function ps.eligibility(p_patron_id bigint, p_branch_id bigint, p_action text)
    returns table (condition text, limit_value bigint, current_value bigint, exceeded boolean, blocks boolean,
                   clearance text, policy_institution_id bigint, policy_last_modified timestamptz, detail text)
    language plpgsql stable security definer set search_path = ps, pg_temp
    as $$
    declare
        v_scope record;
        v_patron patron;
        v_policy patron_type_policy;
        v_fines accruing_fines_policy;
        v_membership text := 'not_required';
        v_verified bigint;
        v_tz text;
        v_blocks_renewal boolean;
        v_value_limit bigint;
        v_today date;
        v_day_start timestamptz;
        v_maximum_from bigint;
        v_capped_before timestamptz;
        v_items_overdue bigint;
        v_days_overdue bigint;
        v_accruing bigint;
    begin
        if p_action is null or p_action not in ('checkout', 'renewal') then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'checkout or renewal.', hint = 'action:invalid';
        end if;
        select * into v_scope from policy_scope(p_patron_id, p_branch_id);
        -- Staff see patrons of their own institution or of one sharing a circulation group.
        if not ps.caller_shares_circulation(v_scope.institution_id) then
            raise exception using errcode = 'PS404', message = 'patron_not_found', detail = 'No such patron.';
        end if;
        select * into v_patron from patron where patron_id = p_patron_id;
        select * into v_policy from patron_type_policy where institution_id = v_scope.institution_id and patron_type_id = v_patron.patron_type_id;
        select * into v_fines from accruing_fines_policy where institution_id = v_scope.institution_id;
        select verified_loan_value_limit_minor into v_verified from loan_limit_policy
            where institution_id = v_scope.transaction_institution_id and patron_type_id = v_patron.patron_type_id;
        if v_policy.membership_policy_id is not null then
            select status into v_membership from membership_status(p_patron_id);
        end if;
        select time_zone into v_tz from branch where branch_id = p_branch_id;
        v_blocks_renewal := coalesce(v_policy.block_renewal_when_exceeded, true);
        v_value_limit := case when v_policy.max_loan_value_minor is null then v_verified
                              when v_verified is null then v_policy.max_loan_value_minor
                              else least(v_policy.max_loan_value_minor, v_verified) end;

        -- The overdue loans through the index on (patron, due date), counted against the instant the branch's
        -- day began: converting a due date to the branch's time zone costs more than reading its index
        -- entry, so only the accruing fines do it, only when the billed limit counts them, once per due
        -- instant, and not for loans overdue past the day their fine reached the maximum.
        v_today := ps.local_today(v_tz);
        v_day_start := ps.local_day_start(v_today, v_tz);
        -- A loan due before the day its fine reached the maximum owes the maximum; beyond ten years of days
        -- every loan's date is converted.
        v_maximum_from := ps.overdue_fine_maximum_from(v_fines.daily_fine_minor, v_fines.max_fine_minor);
        if v_maximum_from < 3653 then
            v_capped_before := ps.local_day_start(v_today + 1 - v_maximum_from::integer, v_tz);
        end if;
        -- Grouped by due instant, in the index's order: loans due together (checked out together, or due at
        -- closing time) share one conversion.
        select coalesce(sum(g.loans), 0), ps.days_overdue(min(g.due_at), v_today, v_tz),
               coalesce(sum(g.loans * case when v_fines.counts_toward_billed_limit and v_policy.max_outstanding_billed_minor is not null
                                           then case when g.due_at < v_capped_before then v_fines.max_fine_minor
                                                     else ps.overdue_fine(ps.days_overdue(g.due_at, v_today, v_tz), v_fines.daily_fine_minor,
                                                                          v_fines.max_fine_minor) end end), 0)
          into v_items_overdue, v_days_overdue, v_accruing
          from (select l.due_at, count(*) as loans from loan l
                where l.patron_id = p_patron_id and l.state = 'active' and l.due_at < v_day_start group by l.due_at) g;

        -- The running figures (ps.patron_circulation) and the overdue figures above: the cost does not grow
        -- with the loans not yet due.
        return query
        with loan_figures as (
            select v_items_overdue as items_overdue, v_days_overdue as days_overdue,
                   coalesce(pc.claimed_lost, 0)::bigint as claimed_lost,
                   coalesce(pc.claimed_returned, 0)::bigint as claimed_returned,
                   coalesce(pc.claimed_never_had, 0)::bigint as claimed_never_had,
                   coalesce(pc.loan_value_minor, 0)::bigint as loan_value,
                   v_accruing as accruing
            from (select 1) one
            left join patron_circulation pc on pc.patron_id = p_patron_id),
        bill_figures as (
            select coalesce(pc.posted_balance_minor, 0)::bigint as posted, coalesce(pc.waived_minor, 0)::bigint as waived
            from (select 1) one left join patron_circulation pc on pc.patron_id = p_patron_id)
        select x.condition, x.limit_value, x.current_value, x.exceeded, x.exceeded and (x.always or v_blocks_renewal),
               case when x.exceeded and (x.always or v_blocks_renewal) then 'override' else 'acknowledge' end,
               v_scope.institution_id, v_policy.last_modified, x.detail
        from (select c.condition, c.limit_value, c.current_value, c.always, c.detail,
                     coalesce(c.current_value > c.limit_value, false) or c.always as exceeded
        from loan_figures f, bill_figures b, lateral (values
            ('verify_patron_block', null::bigint, null::bigint, exists (select 1 from patron_block pb where pb.patron_id = p_patron_id
                and pb.kind = 'verify_patron' and pb.lifted_at is null), null::text),
            ('suspended', null, null, exists (select 1 from suspension s where s.patron_id = p_patron_id and s.lifted_at is null
                and now() >= s.starts_at and now() < s.ends_at), null),
            ('membership', null, null, v_membership in ('expired', 'unknown'), v_membership),
            ('max_items_overdue', v_policy.max_items_overdue::bigint, f.items_overdue, false, null),
            ('max_days_overdue', v_policy.max_days_overdue::bigint, f.days_overdue, false, null),
            ('max_claimed_lost', v_policy.max_claimed_lost::bigint, f.claimed_lost, false, null),
            ('max_claimed_returned', v_policy.max_claimed_returned::bigint, f.claimed_returned, false, null),
            ('max_claimed_never_had', v_policy.max_claimed_never_had::bigint, f.claimed_never_had, false, null),
            ('max_loan_value', v_value_limit, f.loan_value, false,
                case when v_verified is not null and v_value_limit = v_verified and v_value_limit is distinct from v_policy.max_loan_value_minor
                     then 'verified_loan_value_limit' when v_value_limit is not null then 'patron_type_policy' end),
            ('max_outstanding_billed', v_policy.max_outstanding_billed_minor,
                b.posted + case when coalesce(v_fines.counts_toward_billed_limit, false) then f.accruing else 0 end, false,
                case when coalesce(v_fines.counts_toward_billed_limit, false) then 'posted_and_accruing' else 'posted' end),
            ('max_amount_waived', v_policy.max_waived_minor, b.waived, false, null)
        ) c (condition, limit_value, current_value, always, detail)
        where c.limit_value is not null or c.condition in ('verify_patron_block', 'suspended')
           or (c.condition = 'membership' and v_membership <> 'not_required')) x;
    end $$;
comment on function ps.eligibility(bigint, bigint, text) is
    'Every condition for a patron at a branch for checkout or renewal, under the patron''s home institution''s policy: limit (null: No Limit), current figure across the consortium, exceeded, whether it blocks (a Verify Patron block, a suspension and an expired or unknown membership always; limits when Block renewal when limit is exceeded is on), override (blocking) or acknowledge, the policy''s institution and Last Modified, and a detail (membership status; which limit binds the value on loan; whether accruing fines count). Days overdue in the branch''s time zone; the value limit is the most restrictive of the policy''s and the lending institution''s Verified Loan Value Limit.';
