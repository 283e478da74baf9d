-- Per-patron circulation figures (ps.patron_circulation), changed in the same statement as the loans,
-- item costs and bills they count. Each trigger is statement-level over its transition tables: one
-- upsert of the per-patron differences, in patron order (two transactions touching the same patrons
-- lock their rows in the same order), whatever the number of rows the statement changed.

-- Adds per-patron differences to the figures (parallel arrays, one element per patron), creating rows
-- as needed. Existing rows are locked in patron order and updated; a patron's first row is inserted
-- (its figures can only start positive). Not one upsert: PostgreSQL checks a row's constraints before it
-- finds the conflict, and a negative difference is a fine update but not a row. The inserted rows are
-- those the update did not reach, by an anti-join: `not in` over the update's rows cannot be hashed when
-- the estimate is large, and a bulk statement of 20,000 patrons took a minute that way. PL/pgSQL, so its
-- statements are planned once per session, not on every call: it runs in every checkout and payment.
create or replace function ps.add_patron_circulation(p_patron_ids bigint[], p_open_loans integer[], p_loan_value bigint[],
    p_claimed_lost integer[], p_claimed_returned integer[], p_claimed_never_had integer[], p_posted bigint[], p_waived bigint[])
    returns void
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    begin
        -- One patron with a row already (a checkout, a check-in, a payment): one indexed update. The
        -- general statement below costs about 0.4 ms more, in every such transaction.
        if cardinality(p_patron_ids) = 1 then
            -- A renewal changes no figure: nothing to write.
            if (p_open_loans[1], p_loan_value[1], p_claimed_lost[1], p_claimed_returned[1], p_claimed_never_had[1], p_posted[1], p_waived[1])
               = (0, 0, 0, 0, 0, 0, 0) then
                return;
            end if;
            update patron_circulation set
                open_loans = open_loans + p_open_loans[1], loan_value_minor = loan_value_minor + p_loan_value[1],
                claimed_lost = claimed_lost + p_claimed_lost[1], claimed_returned = claimed_returned + p_claimed_returned[1],
                claimed_never_had = claimed_never_had + p_claimed_never_had[1], posted_balance_minor = posted_balance_minor + p_posted[1],
                waived_minor = waived_minor + p_waived[1]
            where patron_id = p_patron_ids[1];
            if found then
                return;
            end if;
        end if;
        with d as (
            select * from unnest(p_patron_ids, p_open_loans, p_loan_value, p_claimed_lost, p_claimed_returned, p_claimed_never_had,
                                 p_posted, p_waived)
                as d (patron_id, open_loans, loan_value_minor, claimed_lost, claimed_returned, claimed_never_had, posted_balance_minor, waived_minor)
            where (open_loans, loan_value_minor, claimed_lost, claimed_returned, claimed_never_had, posted_balance_minor, waived_minor)
                  is distinct from (0, 0, 0, 0, 0, 0, 0)),
        locked as (
            select pc.patron_id from patron_circulation pc join d using (patron_id) order by pc.patron_id for update of pc),
        updated as (
            update patron_circulation pc set
                open_loans = pc.open_loans + d.open_loans,
                loan_value_minor = pc.loan_value_minor + d.loan_value_minor,
                claimed_lost = pc.claimed_lost + d.claimed_lost,
                claimed_returned = pc.claimed_returned + d.claimed_returned,
                claimed_never_had = pc.claimed_never_had + d.claimed_never_had,
                posted_balance_minor = pc.posted_balance_minor + d.posted_balance_minor,
                waived_minor = pc.waived_minor + d.waived_minor
            from d join locked using (patron_id)
            where pc.patron_id = d.patron_id
            returning pc.patron_id)
        insert into patron_circulation as pc (patron_id, institution_id, open_loans, loan_value_minor, claimed_lost, claimed_returned,
                                              claimed_never_had, posted_balance_minor, waived_minor)
        select d.patron_id, p.institution_id, d.open_loans, d.loan_value_minor, d.claimed_lost, d.claimed_returned, d.claimed_never_had,
               d.posted_balance_minor, d.waived_minor
        from d join patron p on p.patron_id = d.patron_id
        where not exists (select from updated u where u.patron_id = d.patron_id)
        order by d.patron_id
        on conflict (patron_id) do update set
            open_loans = pc.open_loans + excluded.open_loans,
            loan_value_minor = pc.loan_value_minor + excluded.loan_value_minor,
            claimed_lost = pc.claimed_lost + excluded.claimed_lost,
            claimed_returned = pc.claimed_returned + excluded.claimed_returned,
            claimed_never_had = pc.claimed_never_had + excluded.claimed_never_had,
            posted_balance_minor = pc.posted_balance_minor + excluded.posted_balance_minor,
            waived_minor = pc.waived_minor + excluded.waived_minor;
    end $$;
comment on function ps.add_patron_circulation(bigint[], integer[], bigint[], integer[], integer[], integer[], bigint[], bigint[]) is
    'Adds per-patron differences (parallel arrays) to ps.patron_circulation, creating rows as needed; only the figure triggers call it.';
-- It writes as the owner: nobody but the triggers may call it.
revoke execute on function ps.add_patron_circulation(bigint[], integer[], bigint[], integer[], integer[], integer[], bigint[], bigint[])
    from public, patron_app, patron_report;

-- Applies changed loan rows (parallel arrays: patron, item, state, +1 for a new row and -1 for an old
-- one), aggregated per patron before anything is written: a bulk statement of a million loans becomes
-- one element per patron.
create or replace function ps.apply_loan_changes(p_patrons bigint[], p_items bigint[], p_states text[], p_signs integer[]) returns void
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        d record;
    begin
        select array_agg(patron_id order by patron_id) as ids, array_agg(open_loans order by patron_id) as open_loans,
               array_agg(loan_value order by patron_id) as loan_value, array_agg(lost order by patron_id) as lost,
               array_agg(returned order by patron_id) as returned, array_agg(never_had order by patron_id) as never_had,
               array_agg(0::bigint) as zero_money
        into d
        from (select c.patron_id, sum(c.sign * (c.state <> 'returned')::int)::int as open_loans,
                     sum(c.sign * case when c.state = 'active' then coalesce(i.cost_minor, 0) else 0 end)::bigint as loan_value,
                     sum(c.sign * (c.state = 'claimed_lost')::int)::int as lost,
                     sum(c.sign * (c.state = 'claimed_returned')::int)::int as returned,
                     sum(c.sign * (c.state = 'claimed_never_had')::int)::int as never_had
              from unnest(p_patrons, p_items, p_states, p_signs) as c (patron_id, item_id, state, sign)
              join item i on i.item_id = c.item_id
              group by c.patron_id) x;
        if d.ids is not null then
            perform ps.add_patron_circulation(d.ids, d.open_loans, d.loan_value, d.lost, d.returned, d.never_had, d.zero_money, d.zero_money);
        end if;
    end $$;
comment on function ps.apply_loan_changes(bigint[], bigint[], text[], integer[]) is
    'Turns changed loan rows into per-patron figure differences (open loans, value on loan, claims) and adds them; only the loan trigger calls it.';
revoke execute on function ps.apply_loan_changes(bigint[], bigint[], text[], integer[]) from public, patron_app, patron_report;

-- A transition table exists only for the events that have it: each branch names its own, and PL/pgSQL
-- plans a branch's statement only when it runs.
create or replace function ps.loan_figures_changed() returns trigger
    language plpgsql security definer set search_path = ps, pg_temp
    as $$
    begin
        if tg_op = 'INSERT' then
            perform ps.apply_loan_changes(array_agg(patron_id), array_agg(item_id), array_agg(state), array_agg(1)) from new_rows;
        elsif tg_op = 'UPDATE' then
            -- A renewal, a new due date or a notice mark moves no figure: when no loan changed its patron,
            -- item or state, nothing is counted (this check costs about 0.03 ms; counting nothing cost 0.2).
            -- A set difference, hashed: transition tables have no statistics, and as a join of new rows to
            -- old ones the check was planned as a nested loop, quadratic in the rows updated (the reminder
            -- job's mark of 150,000 loans due soon ran for minutes rereading a spilled tuple store).
            if not exists (select loan_id, patron_id, item_id, state from new_rows
                           except select loan_id, patron_id, item_id, state from old_rows) then
                return null;
            end if;
            perform ps.apply_loan_changes(array_agg(patron_id), array_agg(item_id), array_agg(state), array_agg(sign))
            from (select patron_id, item_id, state, 1 as sign from new_rows union all select patron_id, item_id, state, -1 from old_rows) c;
        else
            perform ps.apply_loan_changes(array_agg(patron_id), array_agg(item_id), array_agg(state), array_agg(-1)) from old_rows;
        end if;
        return null;
    end $$;
comment on function ps.loan_figures_changed() is 'Statement trigger on ps.loan: applies the loans'' changes to their patrons'' figures.';

-- PostgreSQL allows one event per trigger with transition tables.
create trigger loan_figures_inserted after insert on ps.loan referencing new table as new_rows
    for each statement execute function ps.loan_figures_changed();
create trigger loan_figures_updated after update on ps.loan referencing old table as old_rows new table as new_rows
    for each statement execute function ps.loan_figures_changed();
create trigger loan_figures_deleted after delete on ps.loan referencing old table as old_rows
    for each statement execute function ps.loan_figures_changed();

create or replace function ps.item_cost_figures_changed() returns trigger
    language plpgsql security definer set search_path = ps, pg_temp
    as $$
    declare
        d record;
    begin
        select array_agg(patron_id order by patron_id) as ids, array_agg(delta order by patron_id) as loan_value,
               array_agg(0) as zero, array_agg(0::bigint) as zero_money
        into d
        from (select l.patron_id, sum(coalesce(n.cost_minor, 0) - coalesce(o.cost_minor, 0))::bigint as delta
              from new_rows n join old_rows o on o.item_id = n.item_id
              join loan l on l.item_id = n.item_id and l.state = 'active'
              where n.cost_minor is distinct from o.cost_minor
              group by l.patron_id) x;
        if d.ids is not null then
            perform ps.add_patron_circulation(d.ids, d.zero, d.loan_value, d.zero, d.zero, d.zero, d.zero_money, d.zero_money);
        end if;
        return null;
    end $$;
comment on function ps.item_cost_figures_changed() is 'Statement trigger on ps.item: a changed cost changes the loan value of the patron who has the item.';
create trigger item_cost_figures_updated after update on ps.item referencing old table as old_rows new table as new_rows
    for each statement execute function ps.item_cost_figures_changed();

-- What a bill counts toward its patron's posted balance: its balance while outstanding and posted.
create or replace function ps.bill_posted_balance(p_state text, p_posted_at timestamptz, p_amount bigint, p_paid bigint, p_waived bigint)
    returns bigint
    language sql immutable parallel safe
    as $$ select case when p_state = 'outstanding' and p_posted_at is not null then p_amount - p_paid - p_waived else 0 end $$;
comment on function ps.bill_posted_balance(text, timestamptz, bigint, bigint, bigint) is
    'The part of a bill that counts toward the posted balance: amount less paid and waived while outstanding and posted, else 0.';

-- Applies changed bill rows (parallel arrays: patron, signed posted balance, signed waived amount).
create or replace function ps.apply_bill_changes(p_patrons bigint[], p_posted bigint[], p_waived bigint[]) returns void
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        d record;
    begin
        select array_agg(patron_id order by patron_id) as ids, array_agg(posted order by patron_id) as posted,
               array_agg(waived order by patron_id) as waived, array_agg(0) as zero, array_agg(0::bigint) as zero_money
        into d
        from (select c.patron_id, sum(c.posted)::bigint as posted, sum(c.waived)::bigint as waived
              from unnest(p_patrons, p_posted, p_waived) as c (patron_id, posted, waived) group by c.patron_id) x;
        if d.ids is not null then
            perform ps.add_patron_circulation(d.ids, d.zero, d.zero_money, d.zero, d.zero, d.zero, d.posted, d.waived);
        end if;
    end $$;
comment on function ps.apply_bill_changes(bigint[], bigint[], bigint[]) is
    'Turns changed bill rows into per-patron differences of the posted balance and the waived total and adds them; only the bill trigger calls it.';
revoke execute on function ps.apply_bill_changes(bigint[], bigint[], bigint[]) from public, patron_app, patron_report;

create or replace function ps.bill_figures_changed() returns trigger
    language plpgsql security definer set search_path = ps, pg_temp
    as $$
    begin
        if tg_op = 'INSERT' then
            perform ps.apply_bill_changes(array_agg(patron_id),
                array_agg(ps.bill_posted_balance(state, posted_at, amount_minor, paid_minor, waived_minor)), array_agg(waived_minor)) from new_rows;
        elsif tg_op = 'UPDATE' then
            perform ps.apply_bill_changes(array_agg(patron_id), array_agg(sign * ps.bill_posted_balance(state, posted_at, amount_minor, paid_minor, waived_minor)),
                array_agg(sign * waived_minor))
            from (select n.*, 1 as sign from new_rows n union all select o.*, -1 from old_rows o) c;
        else
            perform ps.apply_bill_changes(array_agg(patron_id),
                array_agg(-ps.bill_posted_balance(state, posted_at, amount_minor, paid_minor, waived_minor)), array_agg(-waived_minor)) from old_rows;
        end if;
        return null;
    end $$;
comment on function ps.bill_figures_changed() is 'Statement trigger on ps.bill: applies the bills'' changes to their patrons'' posted balance and waived total.';
create trigger bill_figures_inserted after insert on ps.bill referencing new table as new_rows
    for each statement execute function ps.bill_figures_changed();
create trigger bill_figures_updated after update on ps.bill referencing old table as old_rows new table as new_rows
    for each statement execute function ps.bill_figures_changed();
create trigger bill_figures_deleted after delete on ps.bill referencing old table as old_rows
    for each statement execute function ps.bill_figures_changed();

-- The figures recounted from the loans, items and bills, for a DBA (and the drift test) to compare.
create or replace view ps.patron_circulation_drift with (security_invoker = true) as
    with recount as (
        select p.patron_id,
               coalesce(l.open_loans, 0) as open_loans, coalesce(l.loan_value, 0) as loan_value_minor,
               coalesce(l.claimed_lost, 0) as claimed_lost, coalesce(l.claimed_returned, 0) as claimed_returned,
               coalesce(l.claimed_never_had, 0) as claimed_never_had, coalesce(b.posted, 0) as posted_balance_minor,
               coalesce(b.waived, 0) as waived_minor
        from ps.patron p
        left join (select l.patron_id, count(*) as open_loans,
                          sum(case when l.state = 'active' then coalesce(i.cost_minor, 0) else 0 end) as loan_value,
                          count(*) filter (where l.state = 'claimed_lost') as claimed_lost,
                          count(*) filter (where l.state = 'claimed_returned') as claimed_returned,
                          count(*) filter (where l.state = 'claimed_never_had') as claimed_never_had
                   from ps.loan l join ps.item i on i.item_id = l.item_id where l.state <> 'returned' group by l.patron_id) l
               on l.patron_id = p.patron_id
        left join (select patron_id,
                          sum(ps.bill_posted_balance(state, posted_at, amount_minor, paid_minor, waived_minor)) as posted,
                          sum(waived_minor) as waived
                   from ps.bill group by patron_id) b on b.patron_id = p.patron_id)
    select r.patron_id, r.open_loans, r.loan_value_minor, r.claimed_lost, r.claimed_returned, r.claimed_never_had,
           r.posted_balance_minor, r.waived_minor,
           to_jsonb(pc) - 'patron_id' - 'institution_id' as kept
    from recount r left join ps.patron_circulation pc on pc.patron_id = r.patron_id
    where (r.open_loans, r.loan_value_minor, r.claimed_lost, r.claimed_returned, r.claimed_never_had, r.posted_balance_minor, r.waived_minor)
          is distinct from (coalesce(pc.open_loans, 0), coalesce(pc.loan_value_minor, 0), coalesce(pc.claimed_lost, 0),
                            coalesce(pc.claimed_returned, 0), coalesce(pc.claimed_never_had, 0), coalesce(pc.posted_balance_minor, 0),
                            coalesce(pc.waived_minor, 0));
comment on view ps.patron_circulation_drift is
    'Patrons whose kept figures (ps.patron_circulation, in kept) differ from a recount of their loans, items and bills; empty when the triggers kept them right. Reads every patron: for a DBA''s check, not for a request path.';
