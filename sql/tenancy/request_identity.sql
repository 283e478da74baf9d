-- Consortium tenancy: organisation tree, circulation groups, patron types, postal codes, patrons, blocks,
-- hierarchical settings, staff tokens, PAC clients and patron sessions, with row-level security.
--
-- Every tenant table's key starts with institution_id (ready to distribute by it); RLS is enabled and
-- forced everywhere; the request's identity is set by ps.authenticate_staff / ps.authenticate_pac inside
-- the request's transaction (set_config(..., true)), never carried over on a pooled connection.
-- The request identity
create or replace function ps.current_institution_id() returns bigint
    language sql stable parallel safe
    as $$ select nullif(current_setting('ps.institution_id', true), '')::bigint $$;
comment on function ps.current_institution_id() is
    'The institution of the current request (set by ps.authenticate_staff / ps.authenticate_pac), or null.';

create or replace function ps.current_staff_role() returns text
    language sql stable parallel safe
    as $$ select nullif(current_setting('ps.role', true), '') $$;
comment on function ps.current_staff_role() is
    'The staff role of the current request: consortium_admin, library_admin, circulation_supervisor, circulation_staff, report_reader; ''patron'' or ''pac'' for PAC requests.';

create or replace function ps.is_consortium_admin() returns boolean
    language sql stable parallel safe
    as $$ select coalesce(current_setting('ps.role', true), '') = 'consortium_admin' $$;
comment on function ps.is_consortium_admin() is 'True when the current request is a consortium administrator''s (sees every institution).';

create or replace function ps.can_see_institution(p_institution_id bigint) returns boolean
    language sql stable parallel safe
    as $$ select p_institution_id = ps.current_institution_id() or ps.is_consortium_admin() $$;
comment on function ps.can_see_institution(bigint) is 'Row-level security predicate: the row belongs to the current institution, or the request is a consortium admin''s.';

create or replace function ps.can_write_institution(p_institution_id bigint) returns boolean
    language sql stable parallel safe
    as $$ select ps.can_see_institution(p_institution_id) and coalesce(ps.current_staff_role(), '') <> 'report_reader' $$;
comment on function ps.can_write_institution(bigint) is 'Row-level security predicate for writes: visible, and not a read-only report reader.';
