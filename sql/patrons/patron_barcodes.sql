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
