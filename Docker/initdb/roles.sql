-- Roles for patron-services on a new server (run once, as a superuser). Change the passwords.
create role patron_owner login password 'owner-change-me' nosuperuser nocreaterole nobypassrls;
create role patron_app login password 'app-change-me' nosuperuser nocreatedb nocreaterole nobypassrls noinherit;
-- patron_report is a group: each report writer logs in as its own member (patron-services report-login create).
create role patron_report nologin nosuperuser nocreatedb nocreaterole nobypassrls noinherit;
alter database patron_services owner to patron_owner;
revoke all on database patron_services from public;
grant connect on database patron_services to patron_app, patron_report;
