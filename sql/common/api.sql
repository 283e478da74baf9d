create or replace function ps.to_api(p jsonb) returns jsonb
    language plpgsql immutable parallel safe
    as $$
    begin
        return (select coalesce(jsonb_object_agg(regexp_replace(initcap(replace(key, '_', ' ')), ' ', '', 'g'), value), '{}'::jsonb)
                from jsonb_each(p - 'pin_hash' - 'token_hash' - 'key_hash'));
    end $$;
comment on function ps.to_api(jsonb) is 'Renames a row''s JSON keys to camelCase (first letter lower-cased by ps.api) and drops secret hashes.';

create or replace function ps.api(p jsonb) returns jsonb
    language plpgsql immutable parallel safe
    as $$
    begin
        return (select coalesce(jsonb_object_agg(lower(left(key, 1)) || substr(key, 2), value), '{}'::jsonb)
                from jsonb_each(ps.to_api(p)));
    end $$;
comment on function ps.api(jsonb) is 'A row as the REST API shows it: camelCase keys, no secret hashes.';
