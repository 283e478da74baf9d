-- A patron's name as the bill reports show it. Inlined wherever it is used: the reports read the
-- patrons the caller sees directly, and the others through ps.bill_patron, both with this name.
create or replace function ps.report_patron_name(p_last_name text, p_first_name text) returns text
    language sql immutable parallel safe
    as $$ select p_last_name || ', ' || p_first_name $$;
comment on function ps.report_patron_name(text, text) is 'A patron''s name as the bill reports show it: last name, comma, first name.';

-- The patron a bill is owed by, as the bill reports show it: deleted patrons and other institutions'
-- patrons included (a partner library lent the item), but only for a bill the caller can see. One bill
-- at a time, so a report page looks up the patrons of its own rows and no others. A security definer
-- call costs about 8 µs (PostgreSQL starts an executor for each), so the report views call it only for
-- the patrons row-level security hides from the caller.
create or replace function ps.bill_patron(p_bill_id bigint)
    returns table (patron_id bigint, institution_id bigint, barcode text, name text, deleted boolean, patron_type_id bigint)
    language sql stable security definer set search_path = ps, pg_temp rows 1
    as $$
        select p.patron_id, p.institution_id, p.barcode, ps.report_patron_name(p.last_name, p.first_name), p.deleted_at is not null, p.patron_type_id
        from bill b join patron p on p.patron_id = b.patron_id
        where b.bill_id = p_bill_id and ps.can_see_institution(b.institution_id)
    $$;
comment on function ps.bill_patron(bigint) is
    'Behind the bill reports: the patron of one bill the caller can see (deleted ones and other institutions'' included); no row otherwise.';
