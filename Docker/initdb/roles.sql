-- Roles for patron-services on a new server (run once, as a superuser). Change the passwords.
create role patron_owner login password 'owner-change-me' nosuperuser nocreaterole nobypassrls;
create role patron_app login password 'app-change-me' nosuperuser nocreatedb nocreaterole nobypassrls noinherit;
-- patron_report is a group: each report writer logs in as its own member (patron-services report-login create).
create role patron_report nologin nosuperuser nocreatedb nocreaterole nobypassrls noinherit;
alter database patron_services owner to patron_owner;
revoke all on database patron_services from public;
grant connect on database patron_services to patron_app, patron_report;
-- Only the owner and the service may take advisory locks (imports, patron sign-ins and currency changes
-- wait on them); a report login holding one could stall them. Run in the patron_services database.
revoke execute on function pg_advisory_lock(bigint), pg_advisory_lock(integer, integer), pg_advisory_lock_shared(bigint),
    pg_advisory_lock_shared(integer, integer), pg_advisory_xact_lock(bigint), pg_advisory_xact_lock(integer, integer),
    pg_advisory_xact_lock_shared(bigint), pg_advisory_xact_lock_shared(integer, integer), pg_try_advisory_lock(bigint),
    pg_try_advisory_lock(integer, integer), pg_try_advisory_lock_shared(bigint), pg_try_advisory_lock_shared(integer, integer),
    pg_try_advisory_xact_lock(bigint), pg_try_advisory_xact_lock(integer, integer), pg_try_advisory_xact_lock_shared(bigint),
    pg_try_advisory_xact_lock_shared(integer, integer) from public;
grant execute on function pg_advisory_lock(bigint), pg_advisory_lock(integer, integer), pg_advisory_lock_shared(bigint),
    pg_advisory_lock_shared(integer, integer), pg_advisory_xact_lock(bigint), pg_advisory_xact_lock(integer, integer),
    pg_advisory_xact_lock_shared(bigint), pg_advisory_xact_lock_shared(integer, integer), pg_try_advisory_lock(bigint),
    pg_try_advisory_lock(integer, integer), pg_try_advisory_lock_shared(bigint), pg_try_advisory_lock_shared(integer, integer),
    pg_try_advisory_xact_lock(bigint), pg_try_advisory_xact_lock(integer, integer), pg_try_advisory_xact_lock_shared(bigint),
    pg_try_advisory_xact_lock_shared(integer, integer) to patron_owner, patron_app;
