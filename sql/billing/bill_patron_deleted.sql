-- ps.bill.patron_deleted follows the bill's patron, so the Orphaned Bills report can read a library's
-- deleted patrons' bills from an index (ps.bill_patron_deleted). Both triggers run as the owner: a
-- patron's bills may be owed to partner libraries whose rows the deleting staff cannot see.

-- A raised bill, a bill moved to another patron, or a write that names the flag gets the truth from the
-- patron row; other updates (payments, waivers, state) keep the flag without reading the patron. The row
-- is read for share: a deletion of the patron in progress ends first (its ps.patron_deleted_bills could
-- not see this bill), and the bill takes the deletion; a deletion that comes second waits for the bill and
-- then marks it. The foreign key already locks the row (for key share, which a deletion does not wait for).
create or replace function ps.bill_patron_deleted_set() returns trigger
    language plpgsql security definer set search_path = ps, pg_temp
    as $$
    begin
        select p.deleted_at is not null into new.patron_deleted from patron p where p.patron_id = new.patron_id for share;
        new.patron_deleted := coalesce(new.patron_deleted, false);
        return new;
    end $$;
comment on function ps.bill_patron_deleted_set() is
    'Row trigger on ps.bill: patron_deleted is whether the bill''s patron is deleted, whatever the insert or update names.';

create trigger bill_patron_deleted before insert or update of patron_id, patron_deleted on ps.bill
    for each row execute function ps.bill_patron_deleted_set();
comment on trigger bill_patron_deleted on ps.bill is 'Sets a raised or moved bill''s patron_deleted from its patron (ps.bill_patron_deleted_set).';

-- Deleting a patron (or bringing one back) marks every bill of theirs, of any library: one write per
-- bill of that patron, which ps.bill_patron_deleted_set checks against the patron row.
create or replace function ps.patron_deleted_bills() returns trigger
    language plpgsql security definer set search_path = ps, pg_temp
    as $$
    begin
        update bill set patron_deleted = (new.deleted_at is not null)
        where patron_id = new.patron_id and patron_deleted <> (new.deleted_at is not null);
        return null;
    end $$;
comment on function ps.patron_deleted_bills() is
    'Row trigger on ps.patron: when a patron is deleted or restored, sets patron_deleted on all of their bills.';

create trigger patron_deleted_bills after update of deleted_at on ps.patron
    for each row when ((old.deleted_at is null) <> (new.deleted_at is null))
    execute function ps.patron_deleted_bills();
comment on trigger patron_deleted_bills on ps.patron is 'Marks a deleted or restored patron''s bills (ps.patron_deleted_bills).';
