-- Which of the given barcodes (lower case) other libraries' patrons hold: a barcode is unique across the
-- consortium, whatever its case. Security definer: a library cannot see those patrons, only that their
-- barcodes are taken. Probes the lower(barcode) index once per barcode (registering a patron, importing a
-- file) instead of reading every patron of the consortium.
create or replace function ps.patron_barcodes_elsewhere(p_institution_id bigint, p_barcodes text[]) returns table (barcode text)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select distinct lower(p.barcode) from unnest(p_barcodes) b (barcode)
        join patron p on lower(p.barcode) = b.barcode and p.institution_id <> p_institution_id
    $$;
comment on function ps.patron_barcodes_elsewhere(bigint, text[]) is
    'Those of the given lower-cased barcodes that another library''s patron holds (deleted ones too: a barcode is never reused), to refuse them when a patron is registered or imported.';
revoke execute on function ps.patron_barcodes_elsewhere(bigint, text[]) from public, patron_report;

-- Whether any patron of the consortium but the given one holds the barcode, whatever its case. A query
-- under row-level security cannot use the lower(barcode) index (lower() is not leakproof, so the
-- comparison waits for the policy's own filter and every patron is read: seconds at a million patrons);
-- as the owner it is one index probe. It answers only taken or not.
-- PL/pgSQL, as the next function: a security definer SQL function is parsed and planned in every
-- statement that calls it (0.21 ms of each registration), where PL/pgSQL keeps the plan.
create or replace function ps.patron_barcode_taken(p_barcode text, p_except_patron_id bigint) returns boolean
    language plpgsql stable security definer set search_path = ps, pg_temp
    as $$
    begin
        return exists (select 1 from patron p where lower(p.barcode) = lower(p_barcode) and p.patron_id is distinct from p_except_patron_id);
    end $$;
comment on function ps.patron_barcode_taken(text, bigint) is
    'True when a patron other than the given one (deleted ones included: a barcode is never reused) holds the barcode, in any case; for registering and renumbering patrons.';
revoke execute on function ps.patron_barcode_taken(text, bigint) from public, patron_report;

-- The patrons holding a barcode, in any case, found through the lower(barcode) index as the owner; the
-- caller's query then keeps the ones its row-level security lets it see (by patron id, which the index
-- on it serves under the policy). A desk's scan of a library card reads one patron, not a million.
create or replace function ps.patrons_with_barcode(p_barcode text) returns setof bigint
    language plpgsql stable security definer set search_path = ps, pg_temp rows 1
    as $$ begin return query select p.patron_id from patron p where lower(p.barcode) = lower(p_barcode); end $$;
comment on function ps.patrons_with_barcode(text) is
    'Ids of the patrons holding the barcode (any case); callers filter them through their own row-level security.';
revoke execute on function ps.patrons_with_barcode(text) from public, patron_report;
