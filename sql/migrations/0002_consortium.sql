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
