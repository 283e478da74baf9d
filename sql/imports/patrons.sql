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
    begin
        -- Two imports into one library at once would race on the same barcodes: one waits for the other.
        perform pg_advisory_xact_lock(hashtextextended('ps.import:' || v_institution, 0));
        create temp table import_patron_checked on commit drop as
        select s.row_number, trim(s.barcode) as barcode, trim(s.first_name) as first_name, trim(s.last_name) as last_name,
               nullif(trim(s.email), '') as email, nullif(trim(s.alt_email), '') as alt_email, nullif(trim(s.phone), '') as phone,
               coalesce(trim(s.address_line1), '') as address_line1, coalesce(trim(s.address_line2), '') as address_line2,
               coalesce(trim(s.city), '') as city, coalesce(trim(s.state), '') as state, coalesce(trim(s.postal_code), '') as postal_code,
               coalesce(nullif(trim(s.country), ''), 'US') as country, nullif(trim(s.expiration_date), '') as expiration_text,
               ps.import_date(nullif(trim(s.expiration_date), '')) as expires, s.pin, b.branch_id, tr.patron_type_id,
               jsonb_build_object('barcode', trim(s.barcode), 'first_name', trim(s.first_name), 'last_name', trim(s.last_name),
                   'email', nullif(trim(s.email), ''), 'alt_email', nullif(trim(s.alt_email), ''),
                   'postal_code', coalesce(trim(s.postal_code), ''), 'country', coalesce(nullif(trim(s.country), ''), 'US')) as fields
        from pg_temp.import_patron s
        left join ps.branch b on b.institution_id = v_institution and b.code = trim(s.branch)
        left join ps.patron_type_translation tr on tr.institution_id = v_institution and tr.local_code = trim(s.patron_type);
        -- A temporary table has no statistics until analysed: without them the planner guesses the joins
        -- against ps.patron below (index probes for a small file, a hash join for a large one).
        analyze import_patron_checked;

        -- Every check is one statement over the whole file; a row may collect several rejects.
        insert into pg_temp.import_row_reject (row_number, field, code)
        select c.row_number, split_part(f, ':', 1), split_part(f, ':', 2)
        from import_patron_checked c
        cross join lateral unnest(ps.patron_field_errors(c.fields)) f;
        insert into pg_temp.import_row_reject (row_number, field, code)
        select c.row_number, r.field, r.code
        from import_patron_checked c
        cross join lateral (values
            (c.branch_id is null, 'branch', 'not_found'),
            (c.patron_type_id is null, 'patronType', 'unmapped'),
            (c.expiration_text is not null and c.expires is null, 'expirationDate', 'invalid'),
            (length(c.phone) > 30, 'phone', 'invalid'),
            (c.pin is not null and length(c.pin) not between 4 and 64, 'pin', 'invalid')) r (failed, field, code)
        where r.failed;
        insert into pg_temp.import_row_reject (row_number, field, code)
        select c.row_number, 'barcode', 'duplicate_in_file'
        from import_patron_checked c
        join (select lower(d.barcode) as barcode from import_patron_checked d group by 1 having count(*) > 1) dup
          on dup.barcode = lower(c.barcode);
        insert into pg_temp.import_row_reject (row_number, field, code)
        select c.row_number, 'barcode', 'patron_deleted'
        from import_patron_checked c join ps.patron p on p.barcode = c.barcode and p.institution_id = v_institution
        where p.deleted_at is not null;
        insert into pg_temp.import_row_reject (row_number, field, code)
        select c.row_number, 'barcode', 'taken'
        from import_patron_checked c
        join ps.patron_barcodes_elsewhere(v_institution, array(select lower(barcode) from import_patron_checked)) x
          on x.barcode = lower(c.barcode);

        if not p_dry_run then
            create temp table import_patron_valid on commit drop as
            select c.* from import_patron_checked c
            where not exists (select 1 from pg_temp.import_row_reject r where r.row_number = c.row_number);
            analyze import_patron_valid;
            -- Patrons the library already has (same barcode): changed only where a value differs, so a
            -- second run of the same file writes nothing.
            update ps.patron p set registered_branch_id = v.branch_id, patron_type_id = v.patron_type_id, first_name = v.first_name,
                last_name = v.last_name, address_line1 = v.address_line1, address_line2 = v.address_line2, city = v.city, state = v.state,
                postal_code = v.postal_code, country = v.country, email = v.email, alt_email = v.alt_email, phone1 = v.phone,
                expiration_date = v.expires, pin_hash = coalesce(case when v.pin is not null then ps.hash_pin(v.pin) end, p.pin_hash),
                updated_at = now()
            from import_patron_valid v
            where p.barcode = v.barcode and p.institution_id = v_institution
              and ((p.registered_branch_id, p.patron_type_id, p.first_name, p.last_name, p.address_line1, p.address_line2, p.city,
                    p.state, p.postal_code, p.country, p.email, p.alt_email, p.phone1, p.expiration_date)
                  is distinct from (v.branch_id, v.patron_type_id, v.first_name, v.last_name, v.address_line1, v.address_line2, v.city,
                    v.state, v.postal_code, v.country, v.email, v.alt_email, v.phone, v.expires)
                   -- a PIN in the file that is not the patron's PIN (checked against the stored hash)
                   or (v.pin is not null and (p.pin_hash is null or p.pin_hash <> public.crypt(v.pin, p.pin_hash))));
            -- New patrons: a plain insert (no speculative insertion per row); barcodes held elsewhere were
            -- rejected above, and the advisory lock keeps another import of this library out.
            insert into ps.patron (institution_id, barcode, registered_branch_id, patron_type_id, first_name, last_name, address_line1,
                address_line2, city, state, postal_code, country, email, alt_email, phone1, expiration_date, pin_hash)
            select v_institution, v.barcode, v.branch_id, v.patron_type_id, v.first_name, v.last_name, v.address_line1, v.address_line2,
                v.city, v.state, v.postal_code, v.country, v.email, v.alt_email, v.phone, v.expires,
                case when v.pin is not null then ps.hash_pin(v.pin) end
            from import_patron_valid v
            where not exists (select 1 from ps.patron p where p.barcode = v.barcode);
        end if;
        return ps.record_import(v_institution, 'patrons', p_file, p_dry_run, v_rows);
    end $$;
comment on function ps.apply_patron_import(bigint, boolean, text) is
    'Applies a staged patron file to a library: rejects rows that break the API''s rules, name an unknown branch, an unmapped local patron type or a barcode of another library (or repeat a barcode), upserts the rest by barcode (nothing changes on a second run), or only reports with a dry run.';
