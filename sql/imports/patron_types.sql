-- WMS: "During the migration process … the patron types you listed on your translation table" are
-- added to the Institution Borrower Categories. The CSV (local_code, patron_type) maps each local code
-- to a patron type of the library, created when it does not exist yet.
create or replace function ps.apply_patron_type_import(p_institution_id bigint, p_dry_run boolean, p_file text) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_institution bigint := ps.settings_institution(p_institution_id);
        v_rows integer := (select count(*) from pg_temp.import_patron_type);
        v_rejects jsonb;
    begin
        select coalesce(jsonb_agg(e), '[]') into v_rejects from (
            select jsonb_build_object('row', s.row_number, 'field', 'localCode', 'code', 'required') as e from pg_temp.import_patron_type s
            where length(trim(coalesce(s.local_code, ''))) not between 1 and 50
            union all
            select jsonb_build_object('row', s.row_number, 'field', 'patronType', 'code', 'invalid') from pg_temp.import_patron_type s
            where coalesce(s.patron_type, '') !~ '^[A-Za-z0-9_-]{1,32}$'
            union all
            select jsonb_build_object('row', s.row_number, 'field', 'localCode', 'code', 'duplicate_in_file') from pg_temp.import_patron_type s
            where (select count(*) from pg_temp.import_patron_type d where d.local_code = s.local_code) > 1) r;
        if not p_dry_run then
            insert into ps.patron_type (institution_id, code, description)
            select distinct v_institution, upper(s.patron_type), upper(s.patron_type) from pg_temp.import_patron_type s
            where not exists (select 1 from jsonb_array_elements(v_rejects) r where (r->>'row')::integer = s.row_number)
              and not exists (select 1 from ps.patron_type t where t.institution_id = v_institution and lower(t.code) = lower(s.patron_type)
                              and t.deleted_at is null);
            insert into ps.patron_type_translation (institution_id, local_code, patron_type_id)
            select v_institution, trim(s.local_code), t.patron_type_id
            from pg_temp.import_patron_type s
            join ps.patron_type t on t.institution_id = v_institution and lower(t.code) = lower(s.patron_type) and t.deleted_at is null
            where not exists (select 1 from jsonb_array_elements(v_rejects) r where (r->>'row')::integer = s.row_number)
            on conflict (institution_id, local_code) do update set patron_type_id = excluded.patron_type_id, updated_at = now()
                where ps.patron_type_translation.patron_type_id is distinct from excluded.patron_type_id;
        end if;
        return ps.record_import(v_institution, 'patron_types', p_file, p_dry_run, v_rows, v_rejects);
    end $$;
comment on function ps.apply_patron_type_import(bigint, boolean, text) is
    'Applies a staged translation table: every valid row maps a local code to a patron type of the library (created, as an Institution Borrower Category, when missing); a dry run only reports.';
