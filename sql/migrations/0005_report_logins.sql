-- Report writers and BI tools log in as their own role, a member of patron_report, created by
-- `patron-services report-login create`. The library each login reports on is recorded here, so a
-- direct SQL user gets its library from who it is, never from a setting it could change itself.
create table ps.report_login (
    role_name text primary key check (role_name ~ '^[a-z_][a-z0-9_]{0,62}$'),
    institution_id bigint not null references ps.library on update cascade on delete cascade,
    created_at timestamptz not null default now(),
    created_by text not null
);
comment on table ps.report_login is
    'Report logins (PostgreSQL roles in patron_report) and the one institution each sees; read through ps.current_institution_id().';
comment on column ps.report_login.role_name is 'The login role''s name (session_user when it connects).';

-- The service only reads (row-level security shows each session its own row, so the service none: the
-- identity functions name the table in a branch the service never takes, but PostgreSQL checks the
-- privilege anyway). Report writers read their own row.
revoke insert, update, delete on ps.report_login from patron_app;

-- No report writer reads a secret, whatever a policy or a view says: the PIN hash is left out of the
-- columns patron_report may select (token and key hashes are in tables it cannot read at all).
revoke select on ps.patron from patron_report;
grant select (institution_id, patron_id, barcode, registered_branch_id, patron_type_id, first_name, last_name,
    address_line1, address_line2, city, state, postal_code, country, email, alt_email, institution_email,
    phone1, phone2, phone3, notification_method, expiration_date, last_activity_at, deleted_at, created_at,
    updated_at, exclude_almost_overdue_auto_renew, exclude_patron_rec_expiration, exclude_inactive_patron)
    on ps.patron to patron_report;
