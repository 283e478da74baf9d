create or replace function ps.create_postal_code(p_postal_code text, p_city text, p_state text, p_county text, p_country text)
    returns jsonb
    language sql volatile
    as $$
        insert into ps.postal_code (postal_code, city, state, county, country)
        values (p_postal_code, p_city, coalesce(p_state, ''), coalesce(p_county, ''), coalesce(p_country, 'US'))
        returning ps.api(to_jsonb(postal_code.*))
    $$;
comment on function ps.create_postal_code(text, text, text, text, text) is
    'Adds a row to the system-level postal codes table (consortium admins); country defaults to US.';

create or replace function ps.delete_postal_code(p_postal_code_id bigint) returns jsonb
    language sql volatile
    as $$
        delete from ps.postal_code where postal_code_id = p_postal_code_id
        returning jsonb_build_object('postalCodeId', postal_code_id, 'deleted', true)
    $$;
comment on function ps.delete_postal_code(bigint) is 'Removes a postal code (consortium admins); null when there is none.';
