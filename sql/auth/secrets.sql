create or replace function ps.sha256(p_secret text) returns bytea
    language sql immutable strict parallel safe
    as $$ select digest(p_secret, 'sha256') $$;
comment on function ps.sha256(text) is 'SHA-256 of a random secret (staff tokens, PAC keys, sessions); only the hash is stored.';

-- Security definer: the cost is in ps.auth_setting, which only the owner reads.
create or replace function ps.hash_pin(p_pin text) returns text
    language sql volatile strict security definer set search_path = ps, public, pg_temp
    as $$ select crypt(p_pin, gen_salt('bf', (select value from ps.auth_setting where name = 'pin_bcrypt_cost'))) $$;
comment on function ps.hash_pin(text) is 'bcrypt hash of a PIN at the configured cost (auth_setting pin_bcrypt_cost), for ps.patron.pin_hash.';
