-- The patron file of a library joining the consortium. Each row is checked with the API's rules
-- (ps.patron_field_errors), its branch code against the library's branches, its local patron type code
-- through the translation table (an unmapped code rejects the row, never a silent default), its
-- barcode against every other library's patrons and the rest of the file. Valid rows are upserted by
-- barcode: a second run of the same file changes nothing.
create or replace function ps.apply_patron_import(p_institution_id bigint, p_dry_run boolean, p_file text) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_institution bigint := ps.settings_institution(p_institution_id);
        v_rows integer := (select count(*) from pg_temp.import_patron);
        v_rejects jsonb;
    begin
        create temp table import_patron_checked on commit drop as
        select s.*, b.branch_id, tr.patron_type_id, count(*) over (partition by lower(trim(s.barcode))) as barcode_rows, ps.import_date(nullif(trim(s.expiration_date), '')) as expires,
               jsonb_build_object('barcode', trim(s.barcode), 'first_name', trim(s.first_name), 'last_name', trim(s.last_name),
                   'email', nullif(trim(s.email), ''), 'alt_email', nullif(trim(s.alt_email), ''),
                   'postal_code', coalesce(trim(s.postal_code), ''), 'country', coalesce(nullif(trim(s.country), ''), 'US')) as fields
        from pg_temp.import_patron s
        left join ps.branch b on b.institution_id = v_institution and b.code = trim(s.branch)
        left join ps.patron_type_translation tr on tr.institution_id = v_institution and tr.local_code = trim(s.patron_type);
        -- Once, not per row: the file's barcodes that other libraries' patrons hold.
        create temp table import_patron_taken on commit drop as
        select x.barcode from ps.circulation_patron_barcodes_elsewhere(v_institution) x
        where x.barcode in (select lower(trim(c.barcode)) from import_patron_checked c);

        select coalesce(jsonb_agg(e), '[]') into v_rejects from (
            select jsonb_build_object('row', c.row_number, 'field', split_part(f, ':', 1), 'code', split_part(f, ':', 2)) as e
            from import_patron_checked c cross join lateral unnest(ps.patron_field_errors(c.fields)) f
            union all
            select jsonb_build_object('row', c.row_number, 'field', 'branch', 'code', 'not_found') from import_patron_checked c where c.branch_id is null
            union all
            select jsonb_build_object('row', c.row_number, 'field', 'patronType', 'code', 'unmapped') from import_patron_checked c where c.patron_type_id is null
            union all
            select jsonb_build_object('row', c.row_number, 'field', 'expirationDate', 'code', 'invalid') from import_patron_checked c
            where nullif(trim(c.expiration_date), '') is not null and c.expires is null
            union all
            select jsonb_build_object('row', c.row_number, 'field', 'phone', 'code', 'invalid') from import_patron_checked c where length(trim(c.phone)) > 30
            union all
            select jsonb_build_object('row', c.row_number, 'field', 'pin', 'code', 'invalid') from import_patron_checked c
            where c.pin is not null and length(c.pin) not between 4 and 64
            union all
            select jsonb_build_object('row', c.row_number, 'field', 'barcode', 'code', 'duplicate_in_file') from import_patron_checked c
            where c.barcode_rows > 1
            union all
            select jsonb_build_object('row', c.row_number, 'field', 'barcode', 'code', 'taken') from import_patron_checked c
            where lower(trim(c.barcode)) in (select barcode from import_patron_taken)) r;

        if not p_dry_run then
            insert into ps.patron (institution_id, barcode, registered_branch_id, patron_type_id, first_name, last_name, address_line1,
                address_line2, city, state, postal_code, country, email, alt_email, phone1, expiration_date, pin_hash)
            select v_institution, c.fields->>'barcode', c.branch_id, c.patron_type_id, c.fields->>'first_name', c.fields->>'last_name',
                coalesce(trim(c.address_line1), ''), coalesce(trim(c.address_line2), ''), coalesce(trim(c.city), ''), coalesce(trim(c.state), ''),
                c.fields->>'postal_code', c.fields->>'country', c.fields->>'email', c.fields->>'alt_email', nullif(trim(c.phone), ''), c.expires,
                case when c.pin is not null then ps.hash_pin(c.pin) end
            from import_patron_checked c
            where not exists (select 1 from jsonb_array_elements(v_rejects) r where (r->>'row')::integer = c.row_number)
            on conflict (barcode) do update set registered_branch_id = excluded.registered_branch_id, patron_type_id = excluded.patron_type_id,
                first_name = excluded.first_name, last_name = excluded.last_name, address_line1 = excluded.address_line1,
                address_line2 = excluded.address_line2, city = excluded.city, state = excluded.state, postal_code = excluded.postal_code,
                country = excluded.country, email = excluded.email, alt_email = excluded.alt_email, phone1 = excluded.phone1,
                expiration_date = excluded.expiration_date, pin_hash = coalesce(excluded.pin_hash, ps.patron.pin_hash), updated_at = now()
            where ps.patron.institution_id = excluded.institution_id
              and (ps.patron.registered_branch_id, ps.patron.patron_type_id, ps.patron.first_name, ps.patron.last_name, ps.patron.address_line1,
                   ps.patron.address_line2, ps.patron.city, ps.patron.state, ps.patron.postal_code, ps.patron.country, ps.patron.email,
                   ps.patron.alt_email, ps.patron.phone1, ps.patron.expiration_date, ps.patron.deleted_at)
                  is distinct from (excluded.registered_branch_id, excluded.patron_type_id, excluded.first_name, excluded.last_name,
                   excluded.address_line1, excluded.address_line2, excluded.city, excluded.state, excluded.postal_code, excluded.country,
                   excluded.email, excluded.alt_email, excluded.phone1, excluded.expiration_date, null::timestamptz);
        end if;
        return ps.record_import(v_institution, 'patrons', p_file, p_dry_run, v_rows, v_rejects);
    end $$;
comment on function ps.apply_patron_import(bigint, boolean, text) is
    'Applies a staged patron file to a library: rejects rows that break the API''s rules, name an unknown branch, an unmapped local patron type or a barcode of another library (or repeat a barcode), upserts the rest by barcode (nothing changes on a second run), or only reports with a dry run.';

-- Barcodes (lower case) of live patrons of other libraries, to refuse them in an import. Security
-- definer: the importing library cannot see those patrons, only that their barcodes are taken.
create or replace function ps.circulation_patron_barcodes_elsewhere(p_institution_id bigint) returns table (barcode text)
    language sql stable security definer set search_path = ps, pg_temp
    as $$ select lower(p.barcode) from patron p where p.institution_id <> p_institution_id $$;
comment on function ps.circulation_patron_barcodes_elsewhere(bigint) is
    'Lower-cased barcodes of every other library''s patrons (deleted ones too: a barcode is never reused), to reject them in an import.';
revoke execute on function ps.circulation_patron_barcodes_elsewhere(bigint) from public, patron_report;
