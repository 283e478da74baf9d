create or replace function ps.sha256(p_secret text) returns bytea
    language sql immutable strict parallel safe
    as $$ select digest(p_secret, 'sha256') $$;
comment on function ps.sha256(text) is 'SHA-256 of a random secret (staff tokens, PAC keys, sessions); only the hash is stored.';

create or replace function ps.hash_pin(p_pin text) returns text
    language sql volatile strict
    as $$ select crypt(p_pin, gen_salt('bf', 8)) $$;
comment on function ps.hash_pin(text) is 'bcrypt hash of a PIN, for ps.patron.pin_hash.';
