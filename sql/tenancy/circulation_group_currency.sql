-- The libraries of a circulation group keep one currency. A patron's limits add up amounts across the
-- group (the value on loan of items from every lending library, the posted balance of bills owed to
-- each), and amounts are never converted, so a sum over two currencies would mean nothing. A library
-- joins a group only in the currency its other members have (PS409 currency_differs), and a library in
-- a group with others keeps its currency (ps.update_library). The trigger takes the group's lock, so
-- two libraries joining an empty group at once cannot bring two currencies, and the currency locks of
-- every member (shared, ps.library_currency_lock), so a member's currency change in progress ends
-- first and one that starts later sees the new membership.
create or replace function ps.circulation_group_member_currency() returns trigger
    language plpgsql security definer set search_path = ps, pg_temp
    as $$
    declare
        v_currency text;
        v_other text;
    begin
        perform pg_advisory_xact_lock(hashtextextended('ps.circulation_group:' || new.group_id, 0));
        perform library_currency_lock(new.institution_id, false);
        perform library_currency_lock(m.institution_id, false)
        from circulation_group_member m where m.group_id = new.group_id order by m.institution_id;
        v_currency := institution_currency(new.institution_id);
        select l.currency into v_other
        from circulation_group_member m join library l using (institution_id)
        where m.group_id = new.group_id and m.institution_id <> new.institution_id and l.currency <> v_currency
        limit 1;
        if v_other is not null then
            raise exception using errcode = 'PS409', message = 'currency_differs',
                detail = format('The circulation group''s libraries count in %s and this library in %s: limits add amounts across a group, and amounts are never converted.',
                                v_other, v_currency);
        end if;
        return new;
    end $$;
comment on function ps.circulation_group_member_currency() is
    'Row trigger on ps.circulation_group_member: a library joins a circulation group only in the currency of its other members (PS409 currency_differs).';

create trigger circulation_group_member_currency before insert or update on ps.circulation_group_member
    for each row execute function ps.circulation_group_member_currency();
comment on trigger circulation_group_member_currency on ps.circulation_group_member is
    'Keeps one currency per circulation group (ps.circulation_group_member_currency).';

-- Whether a library is in a circulation group with another library (as the owner: a library
-- administrator need not see its partners' memberships).
create or replace function ps.library_shares_circulation_group(p_institution_id bigint) returns boolean
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select exists (select 1 from circulation_group_member x join circulation_group_member y using (group_id)
                       where x.institution_id = p_institution_id and y.institution_id <> p_institution_id)
    $$;
comment on function ps.library_shares_circulation_group(bigint) is
    'True when the library is in a circulation group with at least one other library (whose currency it must keep).';
