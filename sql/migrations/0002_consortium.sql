-- Consortium tenancy: organisation tree, circulation groups, patron types, postal codes, patrons, blocks,
-- hierarchical settings, staff tokens, PAC clients and patron sessions, with row-level security.
--
-- Every tenant table's key starts with institution_id (ready to distribute by it); RLS is enabled and
-- forced everywhere; the request's identity is set by ps.authenticate_staff / ps.authenticate_pac inside
-- the request's transaction (set_config(..., true)), never carried over on a pooled connection.

-- ---------------------------------------------------------------------------------------------------
-- The request identity
-- ---------------------------------------------------------------------------------------------------

create function ps.current_institution_id() returns bigint
    language sql stable parallel safe
    as $$ select nullif(current_setting('ps.institution_id', true), '')::bigint $$;
comment on function ps.current_institution_id() is
    'The institution of the current request (set by ps.authenticate_staff / ps.authenticate_pac), or null.';

create function ps.current_staff_role() returns text
    language sql stable parallel safe
    as $$ select nullif(current_setting('ps.role', true), '') $$;
comment on function ps.current_staff_role() is
    'The staff role of the current request: consortium_admin, library_admin, circulation_supervisor, circulation_staff, report_reader; ''patron'' or ''pac'' for PAC requests.';

create function ps.is_consortium_admin() returns boolean
    language sql stable parallel safe
    as $$ select coalesce(current_setting('ps.role', true), '') = 'consortium_admin' $$;
comment on function ps.is_consortium_admin() is 'True when the current request is a consortium administrator''s (sees every institution).';

create function ps.can_see_institution(p_institution_id bigint) returns boolean
    language sql stable parallel safe
    as $$ select p_institution_id = ps.current_institution_id() or ps.is_consortium_admin() $$;
comment on function ps.can_see_institution(bigint) is 'Row-level security predicate: the row belongs to the current institution, or the request is a consortium admin''s.';

create function ps.can_write_institution(p_institution_id bigint) returns boolean
    language sql stable parallel safe
    as $$ select ps.can_see_institution(p_institution_id) and coalesce(ps.current_staff_role(), '') <> 'report_reader' $$;
comment on function ps.can_write_institution(bigint) is 'Row-level security predicate for writes: visible, and not a read-only report reader.';

-- ---------------------------------------------------------------------------------------------------
-- Organisation tree
-- ---------------------------------------------------------------------------------------------------

create function ps.is_time_zone(p_name text) returns boolean
    language sql stable
    as $$ select exists (select 1 from pg_timezone_names where name = p_name) $$;
comment on function ps.is_time_zone(text) is 'True for an IANA time zone name PostgreSQL knows (e.g. America/Chicago).';

create table ps.consortium (
    id integer primary key default 1 check (id = 1),
    name text not null,
    time_zone text not null default 'UTC' check (ps.is_time_zone(time_zone)),
    updated_at timestamptz not null default now()
);
comment on table ps.consortium is 'The system: the one consortium this database serves.';
insert into ps.consortium (name) values ('Consortium');

create table ps.library (
    institution_id bigint generated always as identity primary key,
    code text not null unique check (code ~ '^[A-Za-z0-9_-]{1,32}$'),
    name text not null check (length(name) between 1 and 200),
    currency text not null check (currency ~ '^[A-Z]{3}$'),
    time_zone text not null check (ps.is_time_zone(time_zone)),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
comment on table ps.library is 'A library (institution) of the consortium, with its currency and default time zone.';

create table ps.branch (
    institution_id bigint not null references ps.library on update cascade,
    branch_id bigint generated always as identity,
    code text not null unique check (code ~ '^[A-Za-z0-9_-]{1,32}$'),
    name text not null check (length(name) between 1 and 200),
    time_zone text not null check (ps.is_time_zone(time_zone)),
    staff_email text check (staff_email is null or staff_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (institution_id, branch_id),
    unique (branch_id)
);
comment on table ps.branch is 'A branch of a library, with its own time zone and the staff contact e-mail.';

create table ps.branch_move (
    branch_id bigint not null references ps.branch (branch_id),
    from_institution_id bigint not null references ps.library,
    to_institution_id bigint not null references ps.library,
    moved_at timestamptz not null default now(),
    moved_by text not null,
    primary key (branch_id, moved_at)
);
comment on table ps.branch_move is 'History of branches moved between libraries (ps.move_branch).';

create table ps.circulation_group (
    group_id bigint generated always as identity primary key,
    name text not null unique check (length(name) between 1 and 200),
    created_at timestamptz not null default now()
);
comment on table ps.circulation_group is 'A set of institutions whose patrons borrow at each other''s branches.';

create table ps.circulation_group_member (
    group_id bigint not null references ps.circulation_group on delete cascade,
    institution_id bigint not null references ps.library on delete cascade,
    added_at timestamptz not null default now(),
    primary key (group_id, institution_id)
);
comment on table ps.circulation_group_member is 'Membership of institutions in circulation groups; an institution may be in several.';

create function ps.shares_circulation_group(p_a bigint, p_b bigint) returns boolean
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select p_a = p_b or exists (
            select 1 from circulation_group_member x join circulation_group_member y using (group_id)
            where x.institution_id = p_a and y.institution_id = p_b)
    $$;
comment on function ps.shares_circulation_group(bigint, bigint) is 'True when two institutions are the same or share at least one circulation group.';

-- ---------------------------------------------------------------------------------------------------
-- Patron types (borrower categories; Polaris "patron codes") and postal codes
-- ---------------------------------------------------------------------------------------------------

create table ps.patron_type (
    institution_id bigint not null references ps.library on update cascade,
    patron_type_id bigint generated always as identity,
    code text not null check (code ~ '^[A-Za-z0-9_ -]{1,40}$'),
    description text not null default '',
    created_at timestamptz not null default now(),
    deleted_at timestamptz,
    primary key (institution_id, patron_type_id),
    unique (patron_type_id)
);
create unique index patron_type_code_live on ps.patron_type (institution_id, lower(code)) where deleted_at is null;
comment on table ps.patron_type is 'An institution''s borrower categories (Polaris patron codes). Deleting keeps the row (deleted_at) so policies and patrons keep their history.';

create table ps.postal_code (
    postal_code_id bigint generated always as identity primary key,
    postal_code text not null check (length(postal_code) between 1 and 20),
    city text not null,
    state text not null default '',
    county text not null default '',
    country text not null default 'US' check (country ~ '^[A-Z]{2}$'),
    unique (country, postal_code)
);
comment on table ps.postal_code is 'System-level postal codes table (postal code, city, state/province, county, country), used to validate addresses.';

-- ---------------------------------------------------------------------------------------------------
-- Patrons and blocks
-- ---------------------------------------------------------------------------------------------------

create table ps.patron (
    institution_id bigint not null,
    patron_id bigint generated always as identity,
    barcode text not null unique check (barcode ~ '^[A-Za-z0-9-]{4,40}$'),
    registered_branch_id bigint not null,
    patron_type_id bigint not null,
    first_name text not null check (length(first_name) between 1 and 100),
    last_name text not null check (length(last_name) between 1 and 100),
    address_line1 text not null default '',
    address_line2 text not null default '',
    city text not null default '',
    state text not null default '',
    postal_code text not null default '',
    country text not null default 'US' check (country ~ '^[A-Z]{2}$'),
    email text check (email is null or email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    alt_email text check (alt_email is null or alt_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    institution_email text check (institution_email is null or institution_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    phone1 text check (phone1 is null or length(phone1) between 1 and 30),
    phone2 text check (phone2 is null or length(phone2) between 1 and 30),
    phone3 text check (phone3 is null or length(phone3) between 1 and 30),
    notification_method text not null default 'mail' check (notification_method in ('mail', 'email', 'phone', 'text')),
    expiration_date date,
    last_activity_at timestamptz,
    pin_hash text,
    deleted_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (institution_id, patron_id),
    unique (patron_id),
    foreign key (institution_id, registered_branch_id) references ps.branch (institution_id, branch_id) on update cascade,
    foreign key (institution_id, patron_type_id) references ps.patron_type (institution_id, patron_type_id) on update cascade
);
create index patron_branch on ps.patron (registered_branch_id);
create index patron_name on ps.patron (institution_id, lower(last_name), lower(first_name));
comment on table ps.patron is 'Patrons. institution_id is the home institution: that of the registered branch. email/alt_email are the patron-supplied primary and alternate addresses, institution_email the institution-supplied one. pin_hash is a bcrypt hash (pgcrypto).';
comment on column ps.patron.pin_hash is 'bcrypt (pgcrypto crypt/gen_salt(''bf'')); the PIN itself is never stored.';

create table ps.patron_block (
    institution_id bigint not null,
    block_id bigint generated always as identity,
    patron_id bigint not null,
    kind text not null check (kind in ('verify_patron', 'manual')),
    reason text not null default '',
    created_at timestamptz not null default now(),
    created_by text not null,
    lifted_at timestamptz,
    lifted_by text,
    primary key (institution_id, block_id),
    foreign key (institution_id, patron_id) references ps.patron (institution_id, patron_id) on update cascade
);
create unique index patron_block_one_verify on ps.patron_block (institution_id, patron_id) where kind = 'verify_patron' and lifted_at is null;
comment on table ps.patron_block is 'Blocks on a patron account. An unlifted verify_patron block stops checkout until staff resolve it.';

-- ---------------------------------------------------------------------------------------------------
-- Settings inherited system → library → branch
-- ---------------------------------------------------------------------------------------------------

create table ps.setting_definition (
    name text primary key,
    value_type text not null check (value_type in ('boolean', 'text', 'integer', 'json')),
    system_only boolean not null default false,
    default_value jsonb not null,
    description text not null
);
comment on table ps.setting_definition is 'Settings that may be set at system, library or branch level (system_only: at system level only), with their defaults.';

create table ps.setting_value (
    setting_value_id bigint generated always as identity primary key,
    name text not null references ps.setting_definition,
    level text not null check (level in ('system', 'library', 'branch')),
    institution_id bigint references ps.library on update cascade,
    branch_id bigint references ps.branch (branch_id),
    value jsonb not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    check ((level = 'system' and institution_id is null and branch_id is null)
        or (level = 'library' and institution_id is not null and branch_id is null)
        or (level = 'branch' and institution_id is not null and branch_id is not null))
);
create unique index setting_value_scope on ps.setting_value (name, level, coalesce(institution_id, 0), coalesce(branch_id, 0));
comment on table ps.setting_value is 'A setting''s value at one level: system (whole consortium), library or branch.';

create table ps.setting_change (
    change_id bigint generated always as identity primary key,
    name text not null,
    level text not null,
    institution_id bigint,
    branch_id bigint,
    old_value jsonb,
    new_value jsonb,
    changed_at timestamptz not null default now(),
    changed_by text not null
);
comment on table ps.setting_change is 'Audit of setting changes: who, when, old and new value, at which level.';

create function ps.setting_value_guard() returns trigger
    language plpgsql
    as $$
    declare
        v_definition ps.setting_definition;
    begin
        select * into v_definition from ps.setting_definition where name = new.name;
        if v_definition.system_only and new.level <> 'system' then
            raise exception using errcode = 'PS422', message = 'system_level_only',
                detail = format('%s can only be set at system level.', new.name), hint = new.name || ':system_level_only';
        end if;
        if not (case v_definition.value_type
                    when 'boolean' then jsonb_typeof(new.value) = 'boolean'
                    when 'text' then jsonb_typeof(new.value) = 'string'
                    when 'integer' then jsonb_typeof(new.value) = 'number' and new.value::text ~ '^-?[0-9]+$'
                    else true end) then
            raise exception using errcode = 'PS422', message = 'wrong_type',
                detail = format('%s must be a %s.', new.name, v_definition.value_type), hint = new.name || ':wrong_type';
        end if;
        if new.level = 'branch' and not exists (
            select 1 from ps.branch where branch_id = new.branch_id and institution_id = new.institution_id) then
            raise exception using errcode = 'PS422', message = 'branch_not_in_library', detail = 'The branch is not in that library.';
        end if;
        return new;
    end $$;
create trigger setting_value_guard before insert or update on ps.setting_value
    for each row execute function ps.setting_value_guard();

create function ps.resolve_setting(p_branch_id bigint, p_name text)
    returns table (name text, value jsonb, level text, institution_id bigint, branch_id bigint, updated_at timestamptz)
    language sql stable
    as $$
        with b as (select institution_id, branch_id from ps.branch where branch_id = p_branch_id)
        select d.name,
               coalesce(v.value, d.default_value),
               coalesce(v.level, 'default'),
               v.institution_id, v.branch_id, v.updated_at
        from ps.setting_definition d
        cross join b
        left join lateral (
            select sv.value, sv.level, sv.institution_id, sv.branch_id, sv.updated_at
            from ps.setting_value sv
            where sv.name = d.name
              and (sv.level = 'system'
                   or (sv.level = 'library' and sv.institution_id = b.institution_id and not d.system_only)
                   or (sv.level = 'branch' and sv.branch_id = b.branch_id and not d.system_only))
            order by case sv.level when 'branch' then 1 when 'library' then 2 else 3 end
            limit 1
        ) v on true
        where d.name = p_name or p_name is null
    $$;
comment on function ps.resolve_setting(bigint, text) is
    'The effective value of a setting (or, with p_name null, of every setting) for a branch: the branch''s own value, else its library''s, else the system''s, else the default; with the level and organisation it came from.';

-- ---------------------------------------------------------------------------------------------------
-- Scope resolution
-- ---------------------------------------------------------------------------------------------------

create function ps.pac_scope(p_connection_branch_id bigint, p_patron_id bigint)
    returns table (branch_id bigint, institution_id bigint, reason text)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select p.registered_branch_id, p.institution_id, 'registered_branch'::text
        from patron p where p_patron_id is not null and p.patron_id = p_patron_id and p.deleted_at is null
        union all
        select b.branch_id, b.institution_id, 'connection_branch'::text
        from branch b where p_patron_id is null and b.branch_id = p_connection_branch_id
    $$;
comment on function ps.pac_scope(bigint, bigint) is
    'PAC scope: the branch whose Patron Access Options apply. A signed-in patron gets the patron''s registered branch; an anonymous visitor the connection branch. reason says which.';

create function ps.policy_scope(p_patron_id bigint, p_transaction_branch_id bigint)
    returns table (institution_id bigint, transaction_institution_id bigint, reason text)
    language plpgsql stable security definer set search_path = ps, pg_temp
    as $$
    declare
        v_home bigint;
        v_here bigint;
    begin
        select p.institution_id into v_home from patron p where p.patron_id = p_patron_id and p.deleted_at is null;
        if v_home is null then
            raise exception using errcode = 'PS404', message = 'patron_not_found', detail = 'No such patron.';
        end if;
        select b.institution_id into v_here from branch b where b.branch_id = p_transaction_branch_id;
        if v_here is null then
            raise exception using errcode = 'PS404', message = 'branch_not_found', detail = 'No such branch.';
        end if;
        if v_home = v_here then
            return query select v_home, v_here, 'home_institution'::text;
        elsif shares_circulation_group(v_home, v_here) then
            return query select v_home, v_here, 'home_institution_in_circulation_group'::text;
        else
            raise exception using errcode = 'PS403', message = 'outside_circulation_group',
                detail = 'The patron''s home institution shares no circulation group with this branch''s institution.';
        end if;
    end $$;
comment on function ps.policy_scope(bigint, bigint) is
    'Policy scope: the institution whose patron policy applies to a transaction at a branch: the patron''s home institution, when the branch''s institution is the same or shares a circulation group with it; otherwise refused (PS403 outside_circulation_group).';

-- ---------------------------------------------------------------------------------------------------
-- Authentication: staff tokens, PAC client keys, patron sessions, sign-in throttling
-- Secrets are random 256-bit values; only their SHA-256 is stored (a slow hash adds nothing to a
-- random secret of that length). PINs, chosen by people, are bcrypt-hashed.
-- ---------------------------------------------------------------------------------------------------

create table ps.staff_token (
    token_id bigint generated always as identity primary key,
    institution_id bigint references ps.library on update cascade,
    role text not null check (role in ('consortium_admin', 'library_admin', 'circulation_supervisor', 'circulation_staff', 'report_reader')),
    label text not null default '',
    token_hash bytea not null unique,
    created_at timestamptz not null default now(),
    created_by text not null,
    expires_at timestamptz,
    revoked_at timestamptz,
    last_used_at timestamptz,
    check ((role = 'consortium_admin') = (institution_id is null))
);
comment on table ps.staff_token is 'Staff API tokens: bound to an institution (or, for consortium admins, the whole consortium) and a role. Only the SHA-256 of the token is kept.';

create table ps.pac_client (
    client_id bigint generated always as identity primary key,
    institution_id bigint not null,
    branch_id bigint not null,
    label text not null default '',
    key_hash bytea not null unique,
    created_at timestamptz not null default now(),
    created_by text not null,
    revoked_at timestamptz,
    foreign key (institution_id, branch_id) references ps.branch (institution_id, branch_id) on update cascade
);
comment on table ps.pac_client is 'PAC front ends: each key is bound to one connection branch. Only the SHA-256 of the key is kept.';

create table ps.patron_session (
    session_id bigint generated always as identity primary key,
    institution_id bigint not null,
    patron_id bigint not null,
    client_id bigint not null references ps.pac_client,
    token_hash bytea not null unique,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    ended_at timestamptz,
    foreign key (institution_id, patron_id) references ps.patron (institution_id, patron_id) on update cascade
);
comment on table ps.patron_session is 'Short-lived patron sessions created by barcode + PIN sign-in through a PAC client.';

create table ps.signin_failure (
    failure_id bigint generated always as identity primary key,
    barcode text not null,
    client_id bigint not null,
    failed_at timestamptz not null default now()
);
create index signin_failure_barcode on ps.signin_failure (lower(barcode), failed_at);
create index signin_failure_client on ps.signin_failure (client_id, failed_at);
comment on table ps.signin_failure is 'Failed patron sign-ins, for throttling per barcode and per PAC client.';

create table ps.auth_setting (
    name text primary key,
    value integer not null
);
insert into ps.auth_setting values
    ('signin_max_failures_per_barcode', 5), ('signin_max_failures_per_client', 50),
    ('signin_window_seconds', 900), ('patron_session_seconds', 1800);
comment on table ps.auth_setting is 'Sign-in throttling and session lifetime: at most N failures per barcode (and per client) within the window lock sign-in until the window passes.';

create function ps.sha256(p_secret text) returns bytea
    language sql immutable strict parallel safe
    as $$ select digest(p_secret, 'sha256') $$;

-- Called first in every staff request's transaction: checks the token and sets the request identity
-- (transaction-local), so row-level security sees the token's institution and role.
create function ps.authenticate_staff(p_token text, p_allowed_roles text[])
    returns table (token_id bigint, institution_id bigint, role text)
    language plpgsql volatile security definer set search_path = ps, public, pg_temp
    as $$
    declare
        v_token staff_token;
    begin
        select * into v_token from staff_token t
        where t.token_hash = ps.sha256(p_token) and t.revoked_at is null and (t.expires_at is null or t.expires_at > now());
        if not found then
            raise exception using errcode = 'PS401', message = 'unauthenticated', detail = 'A valid staff token is required.';
        end if;
        if p_allowed_roles is not null and not (v_token.role = any (p_allowed_roles)) then
            raise exception using errcode = 'PS403', message = 'role_not_allowed',
                detail = format('The %s role may not do this.', v_token.role);
        end if;
        perform set_config('ps.institution_id', coalesce(v_token.institution_id::text, ''), true);
        perform set_config('ps.role', v_token.role, true);
        perform set_config('ps.actor', 'staff:' || v_token.token_id, true);
        if v_token.last_used_at is null or v_token.last_used_at < now() - interval '1 minute' then
            update staff_token t set last_used_at = now() where t.token_id = v_token.token_id;
        end if;
        return query select v_token.token_id, v_token.institution_id, v_token.role;
    end $$;
comment on function ps.authenticate_staff(text, text[]) is
    'Checks a staff token (and that its role is one of p_allowed_roles) and sets the request identity for row-level security; PS401/PS403 otherwise.';

-- Called first in every PAC request's transaction: checks the client key and optional patron session.
create function ps.authenticate_pac(p_client_key text, p_session_token text)
    returns table (client_id bigint, connection_branch_id bigint, patron_id bigint, institution_id bigint)
    language plpgsql volatile security definer set search_path = ps, public, pg_temp
    as $$
    declare
        v_client pac_client;
        v_session patron_session;
    begin
        select * into v_client from pac_client c where c.key_hash = ps.sha256(p_client_key) and c.revoked_at is null;
        if not found then
            raise exception using errcode = 'PS401', message = 'invalid_client_key', detail = 'A valid PAC client key is required.';
        end if;
        if p_session_token is not null then
            select * into v_session from patron_session s
            where s.token_hash = ps.sha256(p_session_token) and s.ended_at is null and s.expires_at > now();
            if not found then
                raise exception using errcode = 'PS401', message = 'session_expired', detail = 'Sign in again.';
            end if;
        end if;
        perform set_config('ps.institution_id', coalesce(v_session.institution_id, v_client.institution_id)::text, true);
        perform set_config('ps.role', case when v_session.session_id is null then 'pac' else 'patron' end, true);
        perform set_config('ps.connection_branch_id', v_client.branch_id::text, true);
        perform set_config('ps.patron_id', coalesce(v_session.patron_id::text, ''), true);
        perform set_config('ps.actor', coalesce('patron:' || v_session.patron_id, 'pac:' || v_client.client_id), true);
        return query select v_client.client_id, v_client.branch_id, v_session.patron_id,
            coalesce(v_session.institution_id, v_client.institution_id);
    end $$;
comment on function ps.authenticate_pac(text, text) is
    'Checks a PAC client key and optional patron session token and sets the request identity: the patron''s institution when signed in, else the connection branch''s.';

-- Barcode + PIN sign-in. The same work (one bcrypt comparison) is done whether or not the barcode
-- exists, so timing does not reveal which barcodes are registered.
create function ps.patron_sign_in(p_client_key text, p_barcode text, p_pin text, p_session_token text)
    returns table (outcome text, patron_id bigint, expires_at timestamptz, retry_after_seconds integer)
    language plpgsql volatile security definer set search_path = ps, public, pg_temp
    as $$
    declare
        v_client pac_client;
        v_patron patron;
        v_window integer := (select value from auth_setting where name = 'signin_window_seconds');
        v_max_barcode integer := (select value from auth_setting where name = 'signin_max_failures_per_barcode');
        v_max_client integer := (select value from auth_setting where name = 'signin_max_failures_per_client');
        v_lifetime integer := (select value from auth_setting where name = 'patron_session_seconds');
        v_oldest timestamptz;
        v_hash text;
        v_ok boolean;
        v_expires timestamptz;
    begin
        select * into v_client from pac_client c where c.key_hash = ps.sha256(p_client_key) and c.revoked_at is null;
        if not found then
            raise exception using errcode = 'PS401', message = 'invalid_client_key', detail = 'A valid PAC client key is required.';
        end if;
        -- Throttle: too many recent failures for this barcode, or from this client.
        select min(f.failed_at) into v_oldest from (
            select sf.failed_at from signin_failure sf
            where lower(sf.barcode) = lower(p_barcode) and sf.failed_at > now() - make_interval(secs => v_window)
            order by sf.failed_at desc limit v_max_barcode) f
        having count(*) >= v_max_barcode;
        if v_oldest is null then
            select min(f.failed_at) into v_oldest from (
                select sf.failed_at from signin_failure sf
                where sf.client_id = v_client.client_id and sf.failed_at > now() - make_interval(secs => v_window)
                order by sf.failed_at desc limit v_max_client) f
            having count(*) >= v_max_client;
        end if;
        if v_oldest is not null then
            return query select 'locked'::text, null::bigint, null::timestamptz,
                greatest(1, ceil(extract(epoch from (v_oldest + make_interval(secs => v_window) - now())))::integer);
            return;
        end if;
        select * into v_patron from patron p where lower(p.barcode) = lower(p_barcode) and p.deleted_at is null;
        -- A fixed dummy bcrypt hash (cost 8, as real ones) when there is no such patron or no PIN.
        v_hash := coalesce(v_patron.pin_hash, '$2a$08$nrUHFVXN6nSW0J4lS7ikVe9OX6yOMIaD7T5tLSJ3gRMqQ.mEWH/U.');
        v_ok := crypt(p_pin, v_hash) = v_hash and v_patron.pin_hash is not null;
        if not v_ok then
            insert into signin_failure (barcode, client_id) values (p_barcode, v_client.client_id);
            return query select 'invalid_credentials'::text, null::bigint, null::timestamptz, null::integer;
            return;
        end if;
        delete from signin_failure sf where lower(sf.barcode) = lower(p_barcode);
        v_expires := now() + make_interval(secs => v_lifetime);
        insert into patron_session (institution_id, patron_id, client_id, token_hash, expires_at)
        values (v_patron.institution_id, v_patron.patron_id, v_client.client_id, ps.sha256(p_session_token), v_expires);
        update patron p set last_activity_at = now() where p.patron_id = v_patron.patron_id;
        return query select 'signed_in'::text, v_patron.patron_id, v_expires, null::integer;
    end $$;
comment on function ps.patron_sign_in(text, text, text, text) is
    'Patron sign-in with barcode and PIN through a PAC client; records failures and refuses (outcome locked) after too many per barcode or per client within the window.';

create function ps.hash_pin(p_pin text) returns text
    language sql volatile strict
    as $$ select crypt(p_pin, gen_salt('bf', 8)) $$;
comment on function ps.hash_pin(text) is 'bcrypt hash of a PIN, for ps.patron.pin_hash.';

-- ---------------------------------------------------------------------------------------------------
-- Cross-institution lookup for circulation desks
-- ---------------------------------------------------------------------------------------------------

-- Security definer so that staff can see just these columns of patrons of institutions sharing a
-- circulation group with theirs, which row-level security on ps.patron does not let them read.
create function ps.circulation_patrons()
    returns table (patron_id bigint, institution_id bigint, barcode text, first_name text, last_name text,
                   registered_branch_id bigint, patron_type_id bigint, expiration_date date, has_verify_block boolean)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select p.patron_id, p.institution_id, p.barcode, p.first_name, p.last_name, p.registered_branch_id,
               p.patron_type_id, p.expiration_date,
               exists (select 1 from patron_block b where b.institution_id = p.institution_id and b.patron_id = p.patron_id
                       and b.kind = 'verify_patron' and b.lifted_at is null)
        from patron p
        where p.deleted_at is null
          and ps.current_staff_role() in ('consortium_admin', 'library_admin', 'circulation_supervisor', 'circulation_staff')
          and (ps.is_consortium_admin() or ps.shares_circulation_group(ps.current_institution_id(), p.institution_id))
    $$;

create view ps.circulation_patron with (security_invoker = true) as
    select * from ps.circulation_patrons();
comment on view ps.circulation_patron is
    'What a circulation desk needs to know of a patron of its own institution or of one sharing a circulation group with it: identity, home, type, expiry, Verify Patron block. Read-only.';

-- ---------------------------------------------------------------------------------------------------
-- Row-level security and privileges
-- ---------------------------------------------------------------------------------------------------

alter table ps.library enable row level security;
alter table ps.library force row level security;
create policy library_read on ps.library for select using (ps.can_see_institution(institution_id));
create policy library_write on ps.library for all using (ps.is_consortium_admin()
    or (institution_id = ps.current_institution_id() and ps.current_staff_role() = 'library_admin'))
    with check (ps.is_consortium_admin()
    or (institution_id = ps.current_institution_id() and ps.current_staff_role() = 'library_admin'));

alter table ps.branch enable row level security;
alter table ps.branch force row level security;
-- Staff see their own institution's branches; lookups across institutions go through the security
-- definer scope functions, which expose only what they need.
create policy branch_read on ps.branch for select using (ps.can_see_institution(institution_id));
create policy branch_write on ps.branch for all
    using (ps.can_write_institution(institution_id) and ps.current_staff_role() in ('consortium_admin', 'library_admin'))
    with check (ps.can_write_institution(institution_id) and ps.current_staff_role() in ('consortium_admin', 'library_admin'));

alter table ps.branch_move enable row level security;
alter table ps.branch_move force row level security;
create policy branch_move_all on ps.branch_move for all using (ps.is_consortium_admin()) with check (ps.is_consortium_admin());

alter table ps.consortium enable row level security;
alter table ps.consortium force row level security;
create policy consortium_read on ps.consortium for select using (true);
create policy consortium_write on ps.consortium for update using (ps.is_consortium_admin());

alter table ps.circulation_group enable row level security;
alter table ps.circulation_group force row level security;
create policy circulation_group_read on ps.circulation_group for select using (ps.current_institution_id() is not null or ps.is_consortium_admin());
create policy circulation_group_write on ps.circulation_group for all using (ps.is_consortium_admin()) with check (ps.is_consortium_admin());

alter table ps.circulation_group_member enable row level security;
alter table ps.circulation_group_member force row level security;
-- Staff see their own institution's memberships; scope functions see all (security definer).
create policy circulation_group_member_read on ps.circulation_group_member for select using (ps.can_see_institution(institution_id));
create policy circulation_group_member_write on ps.circulation_group_member for all using (ps.is_consortium_admin()) with check (ps.is_consortium_admin());

alter table ps.patron_type enable row level security;
alter table ps.patron_type force row level security;
create policy patron_type_read on ps.patron_type for select using (ps.can_see_institution(institution_id));
create policy patron_type_write on ps.patron_type for all
    using (ps.can_write_institution(institution_id) and ps.current_staff_role() in ('consortium_admin', 'library_admin'))
    with check (ps.can_write_institution(institution_id) and ps.current_staff_role() in ('consortium_admin', 'library_admin'));

alter table ps.postal_code enable row level security;
alter table ps.postal_code force row level security;
create policy postal_code_read on ps.postal_code for select using (true);
create policy postal_code_write on ps.postal_code for all using (ps.is_consortium_admin()) with check (ps.is_consortium_admin());

alter table ps.patron enable row level security;
alter table ps.patron force row level security;
create policy patron_read on ps.patron for select using (ps.can_see_institution(institution_id)
    and (coalesce(ps.current_staff_role(), '') <> 'patron' or patron_id = nullif(current_setting('ps.patron_id', true), '')::bigint));
create policy patron_write on ps.patron for all
    using (ps.can_write_institution(institution_id) and ps.current_staff_role() not in ('pac', 'patron'))
    with check (ps.can_write_institution(institution_id) and ps.current_staff_role() not in ('pac', 'patron'));

alter table ps.patron_block enable row level security;
alter table ps.patron_block force row level security;
create policy patron_block_read on ps.patron_block for select using (ps.can_see_institution(institution_id));
create policy patron_block_write on ps.patron_block for all
    using (ps.can_write_institution(institution_id) and ps.current_staff_role() not in ('pac', 'patron'))
    with check (ps.can_write_institution(institution_id) and ps.current_staff_role() not in ('pac', 'patron'));

alter table ps.setting_definition enable row level security;
alter table ps.setting_definition force row level security;
create policy setting_definition_read on ps.setting_definition for select using (true);
-- Definitions are added by migrations, which run as the owner.
create policy setting_definition_owner on ps.setting_definition for all to patron_owner using (true) with check (true);

alter table ps.setting_value enable row level security;
alter table ps.setting_value force row level security;
create policy setting_value_read on ps.setting_value for select using (level = 'system' or ps.can_see_institution(institution_id)
    or ps.current_staff_role() in ('pac', 'patron'));
create policy setting_value_write on ps.setting_value for all
    using ((level = 'system' and ps.is_consortium_admin())
        or (level <> 'system' and ps.can_write_institution(institution_id) and ps.current_staff_role() in ('consortium_admin', 'library_admin')))
    with check ((level = 'system' and ps.is_consortium_admin())
        or (level <> 'system' and ps.can_write_institution(institution_id) and ps.current_staff_role() in ('consortium_admin', 'library_admin')));

alter table ps.setting_change enable row level security;
alter table ps.setting_change force row level security;
create policy setting_change_read on ps.setting_change for select using (ps.is_consortium_admin() or ps.can_see_institution(institution_id));
create policy setting_change_insert on ps.setting_change for insert with check (ps.is_consortium_admin() or ps.can_write_institution(institution_id));

-- Authentication tables: reached only through the security definer functions above, and through the
-- admin functions for tokens and keys (0003). No direct privileges for the service or report roles.
alter table ps.staff_token enable row level security;
alter table ps.staff_token force row level security;
alter table ps.pac_client enable row level security;
alter table ps.pac_client force row level security;
alter table ps.patron_session enable row level security;
alter table ps.patron_session force row level security;
alter table ps.signin_failure enable row level security;
alter table ps.signin_failure force row level security;
alter table ps.auth_setting enable row level security;
alter table ps.auth_setting force row level security;
revoke all on ps.staff_token, ps.pac_client, ps.patron_session, ps.signin_failure, ps.auth_setting from patron_app, patron_report;
-- The owner runs the security definer functions and is itself subject to forced RLS.
create policy owner_only on ps.staff_token for all to patron_owner using (true) with check (true);
create policy owner_only on ps.pac_client for all to patron_owner using (true) with check (true);
create policy owner_only on ps.patron_session for all to patron_owner using (true) with check (true);
create policy owner_only on ps.signin_failure for all to patron_owner using (true) with check (true);
create policy owner_only on ps.auth_setting for all to patron_owner using (true) with check (true);
-- Security definer lookups (pac_scope, policy_scope, circulation_patrons, shares_circulation_group)
-- run as the owner: it may read the rows they need.
create policy owner_read on ps.patron for select to patron_owner using (true);
create policy owner_read on ps.patron_block for select to patron_owner using (true);
create policy owner_read on ps.branch for select to patron_owner using (true);
create policy owner_read on ps.circulation_group_member for select to patron_owner using (true);
create policy owner_update on ps.patron for update to patron_owner using (true) with check (true);

-- Report writers read; the service role reads and writes; neither may change history tables.
revoke update, delete on ps.setting_change, ps.branch_move from patron_app;
revoke insert, update, delete on all tables in schema ps from patron_report;
revoke execute on function ps.authenticate_staff(text, text[]), ps.authenticate_pac(text, text),
    ps.patron_sign_in(text, text, text, text) from public, patron_report;
