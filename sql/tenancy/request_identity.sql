-- Consortium tenancy: organisation tree, circulation groups, patron types, postal codes, patrons, blocks,
-- hierarchical settings, staff tokens, PAC clients and patron sessions, with row-level security.
--
-- Every tenant table's key starts with institution_id (ready to distribute by it); RLS is enabled and
-- forced everywhere; the request's identity is set by ps.authenticate_staff / ps.authenticate_pac inside
-- the request's transaction (set_config(..., true)), never carried over on a pooled connection.
-- The request identity. Only the service's own sessions (patron_app, and patron_owner for migrations,
-- fixtures and the security definer functions the service calls) carry it in transaction settings,
-- which ps.authenticate_staff / ps.authenticate_pac set after checking the caller. Any other login is a
-- report writer, whose institution is the one ps.report_login records for it: a setting it sets itself
-- is never read. session_user, unlike current_user, does not change inside security definer functions
-- or with SET ROLE.
create or replace function ps.request_setting(p_name text) returns text
    language sql stable parallel safe
    as $$
        select case when session_user in ('patron_app', 'patron_owner') then nullif(current_setting(p_name, true), '') end
    $$;
comment on function ps.request_setting(text) is
    'A request identity setting (ps.institution_id, ps.role, ps.patron_id, ps.actor, …) when the session is the service''s; null for any other login.';

-- A report login's institution, looked up in a function of its own so that ps.current_institution_id()
-- and ps.current_staff_role() hold no sub-select: PostgreSQL inlines them into the expression that calls
-- them, and a service request reads two settings, not two SQL function calls (about 20 µs in every call
-- of a security definer function that checks the caller, such as ps.bill_patron, once per report row).
create or replace function ps.report_login_institution() returns bigint
    language sql stable parallel safe
    as $$ select r.institution_id from ps.report_login r where r.role_name = session_user $$;
comment on function ps.report_login_institution() is
    'The institution ps.report_login records for the session''s login (session_user), or null when it is not a report login.';

create or replace function ps.current_institution_id() returns bigint
    language sql stable parallel safe
    as $$
        select case when session_user in ('patron_app', 'patron_owner') then ps.request_setting('ps.institution_id')::bigint
                    else ps.report_login_institution() end
    $$;
comment on function ps.current_institution_id() is
    'The institution of the current request (set by ps.authenticate_staff / ps.authenticate_pac), or of the report login (ps.report_login), or null.';

create or replace function ps.current_staff_role() returns text
    language sql stable parallel safe
    as $$
        select case when session_user in ('patron_app', 'patron_owner') then ps.request_setting('ps.role')
                    when ps.report_login_institution() is not null then 'report_reader' end
    $$;
comment on function ps.current_staff_role() is
    'The staff role of the current request: consortium_admin, library_admin, circulation_supervisor, circulation_staff, report_reader (every report login); ''patron'' or ''pac'' for PAC requests.';

create or replace function ps.is_consortium_admin() returns boolean
    language sql stable parallel safe
    as $$ select coalesce(ps.current_staff_role(), '') = 'consortium_admin' $$;
comment on function ps.is_consortium_admin() is 'True when the current request is a consortium administrator''s (sees every institution).';

-- The row predicates take the request's identity as arguments. A policy passes it in scalar sub-selects,
-- `ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))`:
-- the predicate inlines, and each sub-select is an InitPlan that PostgreSQL evaluates once per statement
-- instead of once per row (a PAC options read checked about 200 setting rows, a report page 1,500). The
-- sub-selects must stay in the policy: a function whose body has one is no longer inlined, and costs a
-- call per row. ps.can_see_institution and its kin, for function bodies, read the identity themselves.
create or replace function ps.institution_visible_to(p_institution_id bigint, p_current_institution_id bigint, p_role text) returns boolean
    language sql immutable parallel safe
    as $$ select p_institution_id = p_current_institution_id or coalesce(p_role, '') = 'consortium_admin' $$;
comment on function ps.institution_visible_to(bigint, bigint, text) is
    'Row-level security predicate, given the request''s institution and role: the row belongs to that institution, or the role is consortium_admin.';

create or replace function ps.can_see_institution(p_institution_id bigint) returns boolean
    language sql stable parallel safe
    as $$ select ps.institution_visible_to(p_institution_id, ps.current_institution_id(), ps.current_staff_role()) $$;
comment on function ps.can_see_institution(bigint) is 'Row-level security predicate: the row belongs to the current institution, or the request is a consortium admin''s.';

-- Each argument is used once: a policy passes the role in a sub-select, and PostgreSQL does not inline a
-- function that uses such an argument twice. Written as visible_to(…) and role <> 'report_reader', it
-- was called once per row of every table a staff request scans under a write policy (a report page's
-- lookup of its last bill id, over 500 index entries, took 0.7 ms instead of 0.15).
create or replace function ps.institution_writable_by(p_institution_id bigint, p_current_institution_id bigint, p_role text) returns boolean
    language sql immutable parallel safe
    as $$
        select case coalesce(p_role, '') when 'consortium_admin' then true when 'report_reader' then false
                    else p_institution_id = p_current_institution_id end
    $$;
comment on function ps.institution_writable_by(bigint, bigint, text) is
    'Row-level security predicate for writes, given the request''s institution and role: visible, and not a read-only report reader.';

create or replace function ps.can_write_institution(p_institution_id bigint) returns boolean
    language sql stable parallel safe
    as $$ select ps.institution_writable_by(p_institution_id, ps.current_institution_id(), ps.current_staff_role()) $$;
comment on function ps.can_write_institution(bigint) is 'Row-level security predicate for writes: visible, and not a read-only report reader.';

-- Staff tables' write predicates, each argument used once for the same reason. A null role is no staff
-- role: coalesce(…, 'patron') denies it, as "role not in ('pac', 'patron')" did. The policies in
-- sql/security name them once per command (for insert, for update, for delete), never "for all": PostgreSQL
-- applies a "for all" policy to reads too, OR'ed with the read policy, and writing implies seeing.
create or replace function ps.staff_writable_by(p_institution_id bigint, p_current_institution_id bigint, p_role text) returns boolean
    language sql immutable parallel safe
    as $$
        select case coalesce(p_role, 'patron') when 'consortium_admin' then true
                    when 'report_reader' then false when 'pac' then false when 'patron' then false
                    else p_institution_id = p_current_institution_id end
    $$;
comment on function ps.staff_writable_by(bigint, bigint, text) is
    'Row-level security predicate for staff writes, given the request''s institution and role: writable (ps.institution_writable_by), and the request is no PAC''s or patron''s.';

create or replace function ps.admin_writable_by(p_institution_id bigint, p_current_institution_id bigint, p_role text) returns boolean
    language sql immutable parallel safe
    as $$
        select case p_role when 'consortium_admin' then true when 'library_admin' then p_institution_id = p_current_institution_id
                    else false end
    $$;
comment on function ps.admin_writable_by(bigint, bigint, text) is
    'Row-level security predicate for administrators'' writes, given the request''s institution and role: a consortium administrator, or the institution''s library administrator.';

create or replace function ps.patron_row_open_to(p_patron_id bigint, p_role text, p_signed_in_patron text) returns boolean
    language sql immutable parallel safe
    as $$ select coalesce(p_role, '') not in ('patron', 'pac') or p_patron_id = nullif(p_signed_in_patron, '')::bigint $$;
comment on function ps.patron_row_open_to(bigint, text, text) is
    'Row-level security predicate for a patron''s own rows, given the request''s role and signed-in patron (ps.patron_id): staff requests pass; a PAC request only for that patron''s rows.';

create or replace function ps.is_own_or_staff_row(p_patron_id bigint) returns boolean
    language sql stable parallel safe
    as $$ select ps.patron_row_open_to(p_patron_id, ps.current_staff_role(), ps.request_setting('ps.patron_id')) $$;
comment on function ps.is_own_or_staff_row(bigint) is
    'Row-level security predicate for a patron''s own rows: staff requests pass; a PAC request only for the signed-in patron''s rows.';

create or replace function ps.administers_institution(p_institution_id bigint) returns boolean
    language sql stable parallel safe
    as $$
        select session_user = 'patron_owner' or ps.is_consortium_admin()
            or (ps.current_staff_role() = 'library_admin' and p_institution_id = ps.current_institution_id())
    $$;
comment on function ps.administers_institution(bigint) is
    'True when the caller administers the institution''s access (staff tokens, PAC client keys): the owner login, a consortium admin, or that library''s admin.';
