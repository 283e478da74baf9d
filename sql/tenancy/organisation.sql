-- The directory lookups below are PL/pgSQL, not SQL: a security definer SQL function is never inlined,
-- and PostgreSQL 15 parses and plans its body again in every statement that calls it (0.03 ms, three
-- times in each eligibility check, for one currency), where PL/pgSQL keeps its plan for the session.
create or replace function ps.branch_name(p_branch_id bigint) returns text
    language plpgsql stable security definer set search_path = ps, pg_temp
    as $$ begin return (select name from branch where branch_id = p_branch_id); end $$;
comment on function ps.branch_name(bigint) is 'A branch''s display name (directory information, readable by any caller).';

-- Every money amount the API shows carries the currency of the institution it belongs to; a partner
-- library's currency is directory information, so row-level security does not hide it.
create or replace function ps.institution_currency(p_institution_id bigint) returns text
    language plpgsql stable security definer set search_path = ps, pg_temp
    as $$ begin return (select currency from library where institution_id = p_institution_id); end $$;
comment on function ps.institution_currency(bigint) is 'A library''s ISO 4217 currency (directory information, readable by any caller); money amounts of the library are in its minor units.';

-- Moves a branch to another library: its patrons, blocks and clients follow (keys cascade), and the
-- move is recorded. Refused while the branch's patrons' types do not exist in the target library.
create or replace function ps.move_branch(p_branch_id bigint, p_to_institution_id bigint) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_from bigint;
    begin
        if not ps.is_consortium_admin() then
            raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Only consortium admins move branches.';
        end if;
        select institution_id into v_from from ps.branch where branch_id = p_branch_id for update;
        if v_from is null then
            raise exception using errcode = 'PS404', message = 'branch_not_found', detail = 'No such branch.';
        end if;
        if not exists (select 1 from ps.library where institution_id = p_to_institution_id) then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'No such library.', hint = 'institutionId:not_found';
        end if;
        if v_from = p_to_institution_id then
            return (select ps.api(to_jsonb(b)) from ps.branch b where b.branch_id = p_branch_id);
        end if;
        if exists (select 1 from ps.patron where registered_branch_id = p_branch_id) then
            raise exception using errcode = 'PS409', message = 'branch_has_patrons',
                detail = 'Re-register the branch''s patrons (their patron types belong to the old library) before moving it.';
        end if;
        update ps.branch set institution_id = p_to_institution_id, updated_at = now() where branch_id = p_branch_id;
        update ps.pac_client set institution_id = p_to_institution_id where branch_id = p_branch_id;
        update ps.setting_value set institution_id = p_to_institution_id where branch_id = p_branch_id;
        insert into ps.branch_move (branch_id, from_institution_id, to_institution_id, moved_by)
        values (p_branch_id, v_from, p_to_institution_id, coalesce(nullif(ps.request_setting('ps.actor'), ''), session_user));
        return (select ps.api(to_jsonb(b)) from ps.branch b where b.branch_id = p_branch_id);
    end $$;
comment on function ps.move_branch(bigint, bigint) is 'Moves a branch (with its PAC clients and settings) to another library, recording the move; returns the branch as the API shows it.';

-- Deleting organisations: only what nothing refers to, so no history is lost
create or replace function ps.delete_branch(p_branch_id bigint) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_branch branch;
    begin
        select * into v_branch from branch where branch_id = p_branch_id;
        if v_branch.branch_id is null or not ps.can_write_institution(v_branch.institution_id)
           or ps.current_staff_role() not in ('consortium_admin', 'library_admin') then
            return null;
        end if;
        if exists (select 1 from patron where registered_branch_id = p_branch_id)
           or exists (select 1 from item where branch_id = p_branch_id)
           or exists (select 1 from loan where checkout_branch_id = p_branch_id)
           or exists (select 1 from pac_client where branch_id = p_branch_id)
           or exists (select 1 from branch_move where branch_id = p_branch_id)
           or exists (select 1 from change_request where branch_id = p_branch_id) then
            raise exception using errcode = 'PS409', message = 'branch_in_use',
                detail = 'Patrons, items, loans, PAC clients or history refer to this branch; move or retire them first.';
        end if;
        delete from setting_value where branch_id = p_branch_id;
        delete from branch where branch_id = p_branch_id;
        return jsonb_build_object('branchId', p_branch_id, 'deleted', true);
    end $$;
comment on function ps.delete_branch(bigint) is 'Deletes a branch nothing refers to; PS409 branch_in_use otherwise; null (404) when it is not the caller''s.';

create or replace function ps.delete_library(p_institution_id bigint) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    begin
        if not ps.is_consortium_admin() or not exists (select 1 from library where institution_id = p_institution_id) then
            return null;
        end if;
        if exists (select 1 from branch where institution_id = p_institution_id)
           or exists (select 1 from staff_token where institution_id = p_institution_id and revoked_at is null) then
            raise exception using errcode = 'PS409', message = 'library_in_use',
                detail = 'The library still has branches or live staff tokens.';
        end if;
        delete from setting_value where institution_id = p_institution_id;
        delete from patron_type where institution_id = p_institution_id;
        delete from library where institution_id = p_institution_id;
        return jsonb_build_object('institutionId', p_institution_id, 'deleted', true);
    end $$;
comment on function ps.delete_library(bigint) is 'Deletes a library with no branches and no live tokens; PS409 library_in_use otherwise.';

create or replace function ps.create_library(p_code text, p_name text, p_currency text, p_time_zone text) returns jsonb
    language sql volatile
    as $$
        insert into ps.library (code, name, currency, time_zone) values (p_code, p_name, p_currency, p_time_zone)
        returning ps.api(to_jsonb(library.*))
    $$;
comment on function ps.create_library(text, text, text, text) is
    'Adds a library (consortium admins: row-level security refuses others) with its code, name, currency and time zone; its API form.';

-- Where a library has configured amounts of money, in its currency: fine rates, membership fees, patron
-- type policy limits, loan limit policies' verified value limits.
create or replace function ps.library_configured_amounts(p_institution_id bigint) returns text[]
    language sql stable
    as $$
        select array_remove(array[
            case when exists (select 1 from ps.accruing_fines_policy f where f.institution_id = p_institution_id
                              and (f.daily_fine_minor > 0 or f.max_fine_minor is not null)) then 'accruing fines policy' end,
            case when exists (select 1 from ps.membership_policy m where m.institution_id = p_institution_id and m.fee_minor > 0)
                 then 'membership policies' end,
            case when exists (select 1 from ps.patron_type_policy pp where pp.institution_id = p_institution_id
                              and (pp.max_loan_value_minor is not null or pp.max_outstanding_billed_minor is not null
                                   or pp.max_waived_minor is not null)) then 'patron type policies' end,
            case when exists (select 1 from ps.loan_limit_policy ll where ll.institution_id = p_institution_id
                              and ll.verified_loan_value_limit_minor is not null) then 'loan limit policies' end], null)
    $$;
comment on function ps.library_configured_amounts(bigint) is
    'Which of a library''s policies name amounts of money (accruing fines policy, membership policies, patron type policies, loan limit policies); empty when none does.';

create or replace function ps.update_library(p_institution_id bigint, p_name text, p_currency text, p_time_zone text,
                                             p_reply_to_email text) returns jsonb
    language plpgsql volatile
    as $$
    declare
        answer jsonb;
        v_configured text[];
    begin
        -- Amounts are minor units of the library's currency, with no conversion: changing the currency
        -- under recorded money would silently re-denominate every bill, payment and item cost. The lock
        -- waits for any transaction recording the library's first money (ps.library_currency_lock), and
        -- the check is a statement of its own, so its snapshot sees what that transaction committed.
        if exists (select 1 from ps.library where institution_id = p_institution_id and currency <> p_currency) then
            perform ps.library_currency_lock(p_institution_id, true);
            if exists (select 1 from ps.bill where institution_id = p_institution_id)
               or exists (select 1 from ps.item where institution_id = p_institution_id and cost_minor is not null) then
                raise exception using errcode = 'PS409', message = 'currency_in_use',
                    detail = 'The library holds bills or item costs in its currency; amounts are not converted, so its currency cannot change.';
            end if;
            -- Amounts the library has configured (fine rates, fees, limits) are in its currency too: kept
            -- as they are, they would mean other amounts in the new one.
            v_configured := ps.library_configured_amounts(p_institution_id);
            if v_configured <> '{}' then
                raise exception using errcode = 'PS409', message = 'currency_in_use',
                    detail = format('The library''s %s name amounts in its currency; amounts are not converted, so clear them before changing its currency, then set them again.',
                                    array_to_string(v_configured, ', '));
            end if;
            -- Then, with no money recorded: a circulation group keeps one currency (sql/tenancy/circulation_group_currency.sql).
            if ps.library_shares_circulation_group(p_institution_id) then
                raise exception using errcode = 'PS409', message = 'currency_differs',
                    detail = 'The library shares a circulation group with other libraries, whose limits add amounts across the group in one currency; take it out of its groups first.';
            end if;
        end if;
        update ps.library set name = coalesce(p_name, name), currency = coalesce(p_currency, currency),
            time_zone = coalesce(p_time_zone, time_zone), reply_to_email = coalesce(p_reply_to_email, reply_to_email),
            updated_at = now()
        where institution_id = p_institution_id
        returning ps.api(to_jsonb(library.*)) into answer;
        return answer;
    end $$;
comment on function ps.update_library(bigint, text, text, text, text) is
    'Changes the given fields of a library (null: unchanged); null when the caller may not see it; PS409 currency_in_use for a new currency once it holds bills or item costs or its policies name amounts, and currency_differs while it shares a circulation group with other libraries (amounts are never converted).';

create or replace function ps.create_branch(p_institution_id bigint, p_code text, p_name text, p_time_zone text,
                                            p_staff_email text) returns jsonb
    language sql volatile
    as $$
        insert into ps.branch (institution_id, code, name, time_zone, staff_email)
        values (p_institution_id, p_code, p_name, p_time_zone, p_staff_email)
        returning ps.api(to_jsonb(branch.*))
    $$;
comment on function ps.create_branch(bigint, text, text, text, text) is 'Adds a branch to a library the caller administers; its API form.';

create or replace function ps.update_branch(p_branch_id bigint, p_name text, p_time_zone text, p_staff_email text) returns jsonb
    language sql volatile
    as $$
        update ps.branch set name = coalesce(p_name, name), time_zone = coalesce(p_time_zone, time_zone),
            staff_email = coalesce(p_staff_email, staff_email), updated_at = now()
        where branch_id = p_branch_id
        returning ps.api(to_jsonb(branch.*))
    $$;
comment on function ps.update_branch(bigint, text, text, text) is
    'Changes the given fields of a branch (null: unchanged); null when the caller may not see it.';
