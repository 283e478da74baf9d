-- Imports load a file with COPY into a temporary staging table (dropped at commit, so nothing of a
-- file, a PIN least of all, outlives its transaction), validate it in SQL with the same rules as the
-- API, then apply every valid row at once, or nothing with a dry run. One transaction: a failed run
-- leaves nothing half-loaded.

create or replace function ps.import_date(p_text text) returns date
    language plpgsql immutable
    as $$
    -- Checked with integer arithmetic rather than by catching the cast's error: an exception block is a
    -- subtransaction, and an import calls this for every row (PL/pgSQL's simple expressions are also
    -- cheaper per call here than an SQL function that cannot be inlined).
    declare
        y integer;
        m integer;
        d integer;
        v_last integer;
    begin
        if p_text !~ '^\d{4}-\d{2}-\d{2}$' then return null; end if;
        y := substr(p_text, 1, 4)::integer;
        m := substr(p_text, 6, 2)::integer;
        d := substr(p_text, 9, 2)::integer;
        v_last := case m when 2 then case when (y % 4 = 0 and y % 100 <> 0) or y % 400 = 0 then 29 else 28 end
                         when 4 then 30 when 6 then 30 when 9 then 30 when 11 then 30 else 31 end;
        if y not between 1900 and 2999 or m not between 1 and 12 or d not between 1 and v_last then return null; end if;
        return make_date(y, m, d);
    end $$;
comment on function ps.import_date(text) is 'A YYYY-MM-DD date that exists, years 1900–2999, or null.';

create or replace function ps.reject_message(p_code text) returns text
    language sql immutable
    as $$
        select case p_code
            when 'invalid' then 'This value is not allowed.'
            when 'required' then 'This field is required.'
            when 'invalid_email' then 'Not an e-mail address.'
            when 'postal_code_not_found' then 'Postal Code not found.'
            when 'not_found' then 'No such branch in this library.'
            when 'unmapped' then 'The local patron type code is not in the translation table.'
            when 'unknown_patron_type' then 'No such patron type in this library.'
            when 'taken' then 'That barcode belongs to a patron of another library.'
            when 'patron_deleted' then 'That barcode belongs to a deleted patron of this library; restore the patron first.'
            when 'duplicate_in_file' then 'The file has this barcode on more than one row.'
            when 'unmapped_location' then 'The 852 ‡b location is not in the location table given with the import.'
            when 'location_required' then 'The row names neither a branch nor a location.'
            when 'item_taken' then 'That barcode belongs to an item of another library.'
            else p_code end
    $$;
comment on function ps.reject_message(text) is 'The message of a reject report row for its code.';

-- Creates the session's staging tables for one import (the CSV header names the columns), and the
-- transaction's reject rows (row, field, code), which the checks insert set by set and the apply skips
-- with one anti-join.
create or replace function ps.stage_import(p_kind text) returns text
    language plpgsql volatile
    as $$
    begin
        if ps.current_staff_role() not in ('library_admin', 'consortium_admin') then
            raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Administrators import.';
        end if;
        create temp table import_row_reject (row_number integer not null, field text not null, code text not null) on commit drop;
        if p_kind = 'patron_types' then
            create temp table import_patron_type (row_number integer generated always as identity, local_code text, patron_type text)
                on commit drop;
            return 'import_patron_type';
        elsif p_kind = 'patrons' then
            create temp table import_patron (row_number integer generated always as identity, barcode text, first_name text,
                last_name text, branch text, patron_type text, email text, alt_email text, phone text, address_line1 text,
                address_line2 text, city text, state text, postal_code text, country text, expiration_date text, pin text)
                on commit drop;
            return 'import_patron';
        elsif p_kind = 'holdings' then
            -- record: the MARC record an item row came from (rejects name it); null for CSV files.
            create temp table import_holding (row_number integer generated always as identity, record integer, barcode text,
                title text, location text, branch text, cost text)
                on commit drop;
            return 'import_holding';
        end if;
        raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'patrons, patron_types or holdings.', hint = 'kind:invalid';
    end $$;
comment on function ps.stage_import(text) is
    'Creates the temporary staging table of an import kind (patrons, patron_types, holdings) for this transaction and returns its name; COPY the CSV into it, then call the kind''s apply function.';

-- Records an import and its rejects (pg_temp.import_row_reject); returns the summary the caller shows.
create or replace function ps.record_import(p_institution_id bigint, p_kind text, p_file text, p_dry_run boolean, p_rows integer)
    returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_job ps.import_job;
        v_rejected integer := (select count(distinct r.row_number) from pg_temp.import_row_reject r);
    begin
        insert into ps.import_job (institution_id, kind, file_name, dry_run, rows, accepted, rejected, created_by)
        values (p_institution_id, p_kind, left(coalesce(p_file, ''), 500), p_dry_run, p_rows, p_rows - v_rejected, v_rejected,
                coalesce(ps.request_setting('ps.actor'), session_user))
        returning * into v_job;
        insert into ps.import_reject (institution_id, import_id, row_number, field, code, message)
        select p_institution_id, v_job.import_id, r.row_number, r.field, r.code, ps.reject_message(r.code)
        from pg_temp.import_row_reject r
        on conflict do nothing;
        return ps.import_job_api(v_job.import_id);
    end $$;
comment on function ps.record_import(bigint, text, text, boolean, integer) is
    'Stores an import run (rows read, accepted, rejected, dry run or applied) with its reject report (the transaction''s pg_temp.import_row_reject), and returns the summary.';

-- An import run as the staff API shows it (the resource a client polls): its status, counts and
-- reject report. Imports run within their request, so a job is finished when it is first seen.
create or replace function ps.import_job_api(p_import_id bigint) returns jsonb
    language sql stable
    as $$
        select jsonb_build_object('importId', j.import_id, 'institutionId', j.institution_id, 'kind', j.kind, 'fileName', j.file_name,
            'dryRun', j.dry_run, 'status', case when j.dry_run then 'checked' else 'applied' end,
            'rows', j.rows, 'accepted', j.accepted, 'rejected', j.rejected, 'createdAt', j.created_at, 'createdBy', j.created_by,
            -- At most the first 1,000 rejects: a file of a million bad rows must not become an 80 MB answer;
            -- the whole report stays in ps.import_reject for SQL.
            'rejects', coalesce((select jsonb_agg(jsonb_build_object('row', x.row_number, 'field', x.field, 'code', x.code, 'message', x.message)
                                  order by x.row_number, x.field, x.code)
                                 from (select * from ps.import_reject r where r.import_id = j.import_id
                                       order by r.row_number, r.field, r.code limit 1000) x), '[]'),
            'rejectsTruncated', (select count(*) > 1000 from (select 1 from ps.import_reject r where r.import_id = j.import_id limit 1001) n))
        from ps.import_job j where j.import_id = p_import_id
    $$;
comment on function ps.import_job_api(bigint) is 'An import run with its status (checked: dry run, applied), counts and the first 1,000 rejects (rejectsTruncated when there are more; all are in ps.import_reject); null when not visible.';

create or replace function ps.import_jobs(p_after bigint, p_limit integer) returns jsonb
    language sql stable
    as $$
        select coalesce(jsonb_agg(jsonb_build_object('importId', j.import_id, 'kind', j.kind, 'fileName', j.file_name, 'dryRun', j.dry_run,
                   'status', case when j.dry_run then 'checked' else 'applied' end, 'rows', j.rows, 'accepted', j.accepted,
                   'rejected', j.rejected, 'createdAt', j.created_at) order by j.import_id desc), '[]')
        from (select * from ps.import_job where p_after is null or import_id < p_after
              order by import_id desc limit least(greatest(coalesce(p_limit, 100), 1), 1000)) j
    $$;
comment on function ps.import_jobs(bigint, integer) is 'The caller''s import runs, newest first, before p_after (keyset paging, at most 1000 a page), without their rejects.';
