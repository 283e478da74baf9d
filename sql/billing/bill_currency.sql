-- A bill's currency is its owed library's, set when it is raised and kept: an insert or an update that
-- names another currency (or moves the bill) gets the library's. It reads the library as the owner, so a
-- job or a partner library's staff raising a bill need not see the owed library's row. It takes the
-- library's currency lock (shared) first, so a currency change in progress ends before the currency is read.
create or replace function ps.bill_currency_set() returns trigger
    language plpgsql security definer set search_path = ps, pg_temp
    as $$
    begin
        perform library_currency_lock(new.institution_id, false);
        new.currency := institution_currency(new.institution_id);
        return new;
    end $$;
comment on function ps.bill_currency_set() is
    'Row trigger on ps.bill: the bill''s currency is the owed library''s, whatever the insert or update names.';

create trigger bill_currency before insert or update of institution_id, currency on ps.bill
    for each row execute function ps.bill_currency_set();
comment on trigger bill_currency on ps.bill is 'Sets each raised or changed bill''s currency to its owed library''s (ps.bill_currency_set).';
