-- Foundation: the schema, extensions, and the privileges of the service's roles.
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

-- Liveness probe used by /ready: proves the service role reaches the schema.
create or replace function ps.ping() returns text
    language sql stable
    as $$ select 'ok'::text $$;
comment on function ps.ping() is 'Readiness probe: returns ''ok'' when the service role can reach the ps schema.';
