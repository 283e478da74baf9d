-- Onboarding a library: the patron type translation table (WMS migration: local patron type codes to
-- the consortium's patron types of the institution), and a record of every import with its rejects.
create table ps.patron_type_translation (
    institution_id bigint not null references ps.library on update cascade,
    local_code text not null check (length(local_code) between 1 and 50),
    patron_type_id bigint not null,
    updated_at timestamptz not null default now(),
    primary key (institution_id, local_code),
    foreign key (institution_id, patron_type_id) references ps.patron_type (institution_id, patron_type_id) on update cascade
);
comment on table ps.patron_type_translation is 'WMS translation table: a library''s local patron type code (from its old system) and the patron type it becomes; patron imports map through it, and an unmapped code rejects the row.';

create table ps.import_job (
    institution_id bigint not null references ps.library on update cascade,
    import_id bigint generated always as identity primary key,
    kind text not null check (kind in ('patrons', 'patron_types')),
    file_name text not null default '' check (length(file_name) <= 500),
    dry_run boolean not null,
    rows integer not null check (rows >= 0),
    accepted integer not null check (accepted >= 0),
    rejected integer not null check (rejected >= 0),
    created_at timestamptz not null default now(),
    created_by text not null
);
comment on table ps.import_job is 'One import run: what, for which library, whether it was a dry run (nothing applied), and how many rows were read, accepted and rejected.';
create table ps.import_reject (
    institution_id bigint not null,
    import_id bigint not null references ps.import_job on delete cascade,
    row_number integer not null,
    field text not null,
    code text not null,
    message text not null,
    primary key (import_id, row_number, field, code)
);
comment on table ps.import_reject is 'The reject report of an import: the file''s row number (1 is the first row after the header), the field, a stable code and a message.';

-- Imports stage a file in temporary tables of their own transaction (nothing of it, a PIN least of all,
-- is kept): the service role may create temporary tables, and nothing else, in this database.
do $$ begin execute format('grant temporary on database %I to patron_app', current_database()); end $$;
