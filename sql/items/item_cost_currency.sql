-- An item's cost is in minor units of its library's currency, which may change only while the library
-- holds no money. A statement that costs items takes their libraries' currency locks (shared,
-- ps.library_currency_lock), so a currency change in progress ends first, and one that starts later waits
-- for this transaction and then sees its costs. Statement-level, so an import of many items takes each
-- library's lock once.
create or replace function ps.item_cost_currency_lock() returns trigger
    language plpgsql security definer set search_path = ps, pg_temp
    as $$
    begin
        perform library_currency_lock(institution_id, false)
        from (select distinct institution_id from new_rows where cost_minor is not null) costed;
        return null;
    end $$;
comment on function ps.item_cost_currency_lock() is
    'Statement trigger on ps.item: takes the currency lock (shared) of each library whose items it costs, so that a currency change and the costs are ordered.';

-- PostgreSQL allows one event per trigger with transition tables.
create trigger item_cost_currency_inserted after insert on ps.item referencing new table as new_rows
    for each statement execute function ps.item_cost_currency_lock();
comment on trigger item_cost_currency_inserted on ps.item is 'Orders costed items and currency changes (ps.item_cost_currency_lock).';
create trigger item_cost_currency_updated after update on ps.item referencing new table as new_rows
    for each statement execute function ps.item_cost_currency_lock();
comment on trigger item_cost_currency_updated on ps.item is 'Orders costed items and currency changes (ps.item_cost_currency_lock).';
