-- Foundation: the schema, extensions, and the privileges of the service's roles.
--
-- Migrations hold tables, columns, indexes, constraints and data changes only, and are never edited once
-- landed (sql/migrations/landed.sha256). Functions, views, triggers and row-level security policies are
-- the rule layer (sql/layers.txt), which the migrator drops before pending migrations and applies again
-- after them; it also enables and forces row-level security on every table of schema ps, so a table
-- without a policy is closed to everyone but its owner's migrations.
--
-- Roles (created by `patron-services migrate` on the embedded cluster; see README for an existing server):
--   patron_owner  owns every object and runs migrations;
--   patron_app    the service: owns nothing, no BYPASSRLS, gets only the grants below;
--   patron_report report writers and BI tools: read-only, sees its own institution through row-level security.
create extension if not exists pgcrypto;

create schema if not exists ps;
comment on schema ps is 'patron-services: consortium, patron account updates and patron type policies.';
revoke all on schema ps from public;
grant usage on schema ps to patron_app, patron_report;


-- Objects patron_owner creates later are usable by the service without per-object grants in every
-- migration; row-level security still decides which rows each role sees.
alter default privileges in schema ps grant select, insert, update, delete on tables to patron_app;
alter default privileges in schema ps grant usage, select on sequences to patron_app;
alter default privileges in schema ps grant execute on functions to patron_app, patron_report;
alter default privileges in schema ps grant select on tables to patron_report;
