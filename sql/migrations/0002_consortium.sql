create table ps.consortium (
    id integer primary key default 1 check (id = 1),
    name text not null,
    time_zone text not null default 'UTC',
    updated_at timestamptz not null default now()
);
comment on table ps.consortium is 'The system: the one consortium this database serves.';
insert into ps.consortium (name) values ('Consortium');
create table ps.library (
    institution_id bigint generated always as identity primary key,
    code text not null unique check (code ~ '^[A-Za-z0-9_-]{1,32}$'),
    name text not null check (length(name) between 1 and 200),
    currency text not null check (currency ~ '^[A-Z]{3}$'),
    time_zone text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    reply_to_email text check (reply_to_email is null or reply_to_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$')
);
comment on table ps.library is 'A library (institution) of the consortium, with its currency and default time zone.';
comment on column ps.library.reply_to_email is 'The institution''s reply-to address for notifications (reply-to choice "institution").';
create table ps.branch (
    institution_id bigint not null references ps.library on update cascade,
    branch_id bigint generated always as identity,
    code text not null unique check (code ~ '^[A-Za-z0-9_-]{1,32}$'),
    name text not null check (length(name) between 1 and 200),
    time_zone text not null,
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
    reply_to_email text check (reply_to_email is null or reply_to_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    primary key (institution_id, patron_type_id),
    unique (patron_type_id)
);
create unique index patron_type_code_live on ps.patron_type (institution_id, lower(code)) where deleted_at is null;
comment on table ps.patron_type is 'An institution''s borrower categories (Polaris patron codes). Deleting keeps the row (deleted_at) so policies and patrons keep their history.';
comment on column ps.patron_type.reply_to_email is 'The address configured by patron type (reply-to choice "patron_type").';
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
    exclude_almost_overdue_auto_renew boolean not null default false,
    exclude_patron_rec_expiration boolean not null default false,
    exclude_inactive_patron boolean not null default false,
    primary key (institution_id, patron_id),
    unique (patron_id),
    foreign key (institution_id, registered_branch_id) references ps.branch (institution_id, branch_id) on update cascade,
    foreign key (institution_id, patron_type_id) references ps.patron_type (institution_id, patron_type_id) on update cascade
);
create index patron_branch on ps.patron (registered_branch_id);
create index patron_name on ps.patron (institution_id, lower(last_name), lower(first_name));
comment on table ps.patron is 'Patrons. institution_id is the home institution: that of the registered branch. email/alt_email are the patron-supplied primary and alternate addresses, institution_email the institution-supplied one. pin_hash is a bcrypt hash (pgcrypto).';
comment on column ps.patron.exclude_almost_overdue_auto_renew is 'Polaris ExcludeFromAlmostOverdueAutoRenew: the patron opted out of the almost overdue / auto-renew reminder.';
comment on column ps.patron.exclude_patron_rec_expiration is 'Polaris ExcludeFromPatronRecExpiration.';
comment on column ps.patron.exclude_inactive_patron is 'Polaris ExcludeFromInactivePatron.';
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


-- ---------------------------------------------------------------------------------------------------
-- Privileges (row-level security is enabled and forced on every table by the migrator; the policies
-- live in sql/security/)
-- ---------------------------------------------------------------------------------------------------

-- Authentication tables: reached only through the security definer functions of sql/auth/.
-- No direct privileges for the service or report roles.
revoke all on ps.staff_token, ps.pac_client, ps.patron_session, ps.signin_failure, ps.auth_setting from patron_app, patron_report;

-- Report writers read; the service role reads and writes; neither may change history tables.
revoke update, delete on ps.setting_change, ps.branch_move from patron_app;
