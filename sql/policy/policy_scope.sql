create or replace function ps.policy_scope(p_patron_id bigint, p_transaction_branch_id bigint)
    returns table (institution_id bigint, transaction_institution_id bigint, reason text)
    language plpgsql stable security definer set search_path = ps, pg_temp
    as $$
    declare
        v_home bigint;
        v_here bigint;
    begin
        select p.institution_id into v_home from patron p where p.patron_id = p_patron_id and p.deleted_at is null;
        if v_home is null then
            raise exception using errcode = 'PS404', message = 'patron_not_found', detail = 'No such patron.';
        end if;
        select b.institution_id into v_here from branch b where b.branch_id = p_transaction_branch_id;
        if v_here is null then
            raise exception using errcode = 'PS404', message = 'branch_not_found', detail = 'No such branch.';
        end if;
        -- The answer by assignment (PL/pgSQL evaluates it itself) rather than `return query`, a query.
        institution_id := v_home;
        transaction_institution_id := v_here;
        if v_home = v_here then
            reason := 'home_institution';
            return next;
        elsif shares_circulation_group(v_home, v_here) then
            reason := 'home_institution_in_circulation_group';
            return next;
        else
            raise exception using errcode = 'PS403', message = 'outside_circulation_group',
                detail = 'The patron''s home institution shares no circulation group with this branch''s institution.';
        end if;
    end $$;
comment on function ps.policy_scope(bigint, bigint) is
    'Policy scope: the institution whose patron policy applies to a transaction at a branch: the patron''s home institution, when the branch''s institution is the same or shares a circulation group with it; otherwise refused (PS403 outside_circulation_group).';
