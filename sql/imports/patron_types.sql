-- WMS: "During the migration process … the patron types you listed on your translation table" are
-- added to the Institution Borrower Categories. The CSV (local_code, patron_type) maps each local code
-- to a patron type of the library, created when it does not exist yet.
create or replace function ps.apply_patron_type_import(p_institution_id bigint, p_dry_run boolean, p_file text) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_institution bigint := ps.settings_institution(p_institution_id);
        v_rows integer := (select count(*) from pg_temp.import_patron_type);
    begin
        insert into pg_temp.import_row_reject (row_number, field, code)
        select s.row_number, r.field, r.code
        from (select t.*, count(*) over (partition by t.local_code) as code_rows from pg_temp.import_patron_type t) s
        cross join lateral (values
            (length(trim(coalesce(s.local_code, ''))) not between 1 and 50, 'localCode', 'required'),
            (coalesce(s.patron_type, '') !~ '^[A-Za-z0-9_-]{1,32}$', 'patronType', 'invalid'),
            (s.local_code is not null and s.code_rows > 1, 'localCode', 'duplicate_in_file')) r (failed, field, code)
        where r.failed;
        if not p_dry_run then
            insert into ps.patron_type (institution_id, code, description)
            select distinct v_institution, upper(s.patron_type), upper(s.patron_type) from pg_temp.import_patron_type s
            where not exists (select 1 from pg_temp.import_row_reject r where r.row_number = s.row_number)
              and not exists (select 1 from ps.patron_type t where t.institution_id = v_institution and lower(t.code) = lower(s.patron_type)
                              and t.deleted_at is null);
            insert into ps.patron_type_translation (institution_id, local_code, patron_type_id)
            select v_institution, trim(s.local_code), t.patron_type_id
            from pg_temp.import_patron_type s
            join ps.patron_type t on t.institution_id = v_institution and lower(t.code) = lower(s.patron_type) and t.deleted_at is null
            where not exists (select 1 from pg_temp.import_row_reject r where r.row_number = s.row_number)
            on conflict (institution_id, local_code) do update set patron_type_id = excluded.patron_type_id, updated_at = now()
                where ps.patron_type_translation.patron_type_id is distinct from excluded.patron_type_id;
        end if;
        return ps.record_import(v_institution, 'patron_types', p_file, p_dry_run, v_rows);
    end $$;
comment on function ps.apply_patron_type_import(bigint, boolean, text) is
    'Applies a staged translation table: every valid row maps a local code to a patron type of the library (created, as an Institution Borrower Category, when missing); a dry run only reports.';
