-- One pass over the row's keys, with plain string functions (no regular expression): every API answer
-- goes through here, so a row's cost matters (it was two passes with regexp_replace, twice as slow).
create or replace function ps.api_key(p_column text) returns text
    language sql immutable parallel safe
    as $$ select lower(left(p_column, 1)) || substr(replace(initcap(replace(p_column, '_', ' ')), ' ', ''), 2) $$;
comment on function ps.api_key(text) is 'A column name as the REST API spells it: snake_case to camelCase (address_line1 → addressLine1).';

create or replace function ps.api(p jsonb) returns jsonb
    language sql immutable parallel safe
    as $$
        select coalesce((select jsonb_object_agg(ps.api_key(key), value) from jsonb_each(p - 'pin_hash' - 'token_hash' - 'key_hash')),
                        '{}'::jsonb)
    $$;
comment on function ps.api(jsonb) is 'A row as the REST API shows it: camelCase keys, no secret hashes.';
