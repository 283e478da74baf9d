-- Liveness probe used by /ready: proves the service role reaches the schema.
create or replace function ps.ping() returns text
    language sql stable
    as $$ select 'ok'::text $$;
comment on function ps.ping() is 'Readiness probe: returns ''ok'' when the service role can reach the ps schema.';
