-- A library's currency may change only while it holds no money (ps.update_library), and a bill or an
-- item cost is in the currency its library has when it is recorded. A currency change and the first
-- money of a library are ordered by a transaction-scoped advisory lock on the library: a currency change
-- takes it exclusive, raising a bill or costing an item takes it shared (so those never wait for each
-- other). Whichever comes second waits for the first to end, and its next statement, a new snapshot,
-- sees what the first committed: the change is refused because of the bill, or the bill takes the new
-- currency. An advisory lock writes nothing, where a row lock on the library would dirty its page for
-- every bill. A DBA sees it in pg_locks as an advisory lock with this key.
create or replace function ps.library_currency_lock(p_institution_id bigint, p_exclusive boolean) returns void
    language plpgsql volatile
    as $$
    begin
        if p_exclusive then
            perform pg_advisory_xact_lock(hashtextextended('ps.currency:' || p_institution_id, 0));
        else
            perform pg_advisory_xact_lock_shared(hashtextextended('ps.currency:' || p_institution_id, 0));
        end if;
    end $$;
comment on function ps.library_currency_lock(bigint, boolean) is
    'Takes the library''s currency lock until the transaction ends (advisory, key hashtextextended(''ps.currency:'' || institution_id, 0)): exclusive for a currency change, shared for recording money in it.';
