-- Patron types a lending institution may set loan limits for: its own and its group partners'.
create or replace function ps.circulation_patron_types()
    returns table (patron_type_id bigint, institution_id bigint, code text, deleted_at timestamptz)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select t.patron_type_id, t.institution_id, t.code, t.deleted_at from patron_type t
        where ps.caller_shares_circulation(t.institution_id)
    $$;
comment on function ps.circulation_patron_types() is 'Patron types of the caller''s institution and of institutions sharing a circulation group with it.';

-- Deleting a patron type or a policy: the impact first, and nothing lost
create or replace function ps.patron_type_impact(p_patron_type_id bigint) returns jsonb
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select jsonb_build_object(
            'patronTypeId', t.patron_type_id, 'policyName', t.code, 'patronTypeDeleted', t.deleted_at is not null,
            'hasPolicy', exists (select 1 from patron_type_policy pp where pp.patron_type_id = t.patron_type_id),
            'patrons', (select count(*) from patron p where p.patron_type_id = t.patron_type_id and p.deleted_at is null),
            'activeLoans', (select count(*) from loan l join patron p using (patron_id)
                            where p.patron_type_id = t.patron_type_id and l.state <> 'returned'),
            'outstandingBills', ob.bills, 'outstandingMinor', ob.minor, 'outstandingByCurrency', ob.by_currency,
            'activeMemberships', (select count(*) from membership m join patron p using (patron_id)
                                  where p.patron_type_id = t.patron_type_id and m.state = 'active' and m.ends_at > now()),
            'pendingMembershipBills', (select count(*) from membership m join patron p using (patron_id)
                                       where p.patron_type_id = t.patron_type_id and m.state = 'pending'),
            'loanLimitPolicies', (select count(*) from loan_limit_policy llp where llp.patron_type_id = t.patron_type_id))
        from patron_type t
        -- The outstanding bills of the type's patrons, read once for their count, sum and sums per currency.
        cross join lateral (
            select coalesce(sum(c.bills), 0) as bills, coalesce(sum(c.minor), 0) as minor,
                   coalesce(jsonb_object_agg(c.currency, c.minor), '{}') as by_currency
            from (select b.currency, count(*) as bills, sum(b.amount_minor - b.paid_minor - b.waived_minor) as minor
                  from bill b join patron p using (patron_id)
                  where p.patron_type_id = t.patron_type_id and b.state = 'outstanding' group by b.currency) c) ob
        where t.patron_type_id = p_patron_type_id and ps.can_see_institution(t.institution_id)
          and ps.current_staff_role() in ('consortium_admin', 'library_admin')
    $$;
comment on function ps.patron_type_impact(bigint) is
    'What deleting a patron type or its policy would touch: patrons of the type, their open loans, outstanding bills and balance (across the consortium), memberships and loan limit policies.';

-- Deletes only with p_confirm; otherwise PS409 confirmation_required naming the impact. Patron types
-- are soft-deleted (patrons keep their type; the policy shows "policy without category"); a policy's
-- row goes, but its full history (old values) stays in patron_type_policy_change.
create or replace function ps.delete_patron_type(p_patron_type_id bigint, p_what text, p_confirm boolean) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_impact jsonb := ps.patron_type_impact(p_patron_type_id);
        v_result jsonb;
    begin
        if v_impact is null then
            return null;
        end if;
        if p_what = 'policy' and not (v_impact->>'hasPolicy')::boolean then
            return null;
        end if;
        if not coalesce(p_confirm, false) then
            raise exception using errcode = 'PS409', message = 'confirmation_required',
                detail = format('Deleting this %s affects %s patrons, %s open loans and %s outstanding bills (%s in minor units); repeat with confirm=true.',
                    replace(p_what, '_', ' '), v_impact->>'patrons', v_impact->>'activeLoans', v_impact->>'outstandingBills', v_impact->>'outstandingMinor'),
                hint = 'confirm:required';
        end if;
        if p_what = 'policy' then
            delete from ps.patron_type_policy where patron_type_id = p_patron_type_id;
            v_result := jsonb_build_object('patronTypeId', p_patron_type_id, 'policyDeleted', true);
        else
            update ps.patron_type set deleted_at = coalesce(deleted_at, now()) where patron_type_id = p_patron_type_id
            returning ps.api(to_jsonb(patron_type.*)) into v_result;
        end if;
        return v_result || jsonb_build_object('impact', v_impact);
    end $$;
comment on function ps.delete_patron_type(bigint, text, boolean) is
    'Deletes a patron type (soft) or its policy (history kept) once confirmed; unconfirmed, PS409 confirmation_required with the impact.';

create or replace function ps.create_patron_type(p_institution_id bigint, p_code text, p_description text,
                                                 p_reply_to_email text) returns jsonb
    language sql volatile
    as $$
        insert into ps.patron_type (institution_id, code, description, reply_to_email)
        values (coalesce(p_institution_id, ps.current_institution_id()), p_code, coalesce(p_description, ''), p_reply_to_email)
        returning ps.api(to_jsonb(patron_type.*))
    $$;
comment on function ps.create_patron_type(bigint, text, text, text) is
    'Adds a patron type (borrower category) to the given institution, or the caller''s; its API form.';

create or replace function ps.update_patron_type(p_patron_type_id bigint, p_description text, p_reply_to_email text) returns jsonb
    language sql volatile
    as $$
        update ps.patron_type set description = coalesce(p_description, description),
            reply_to_email = coalesce(p_reply_to_email, reply_to_email)
        where patron_type_id = p_patron_type_id
        returning ps.api(to_jsonb(patron_type.*))
    $$;
comment on function ps.update_patron_type(bigint, text, text) is 'Changes a patron type''s description or reply-to address (null: unchanged).';
