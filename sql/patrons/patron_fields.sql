-- Stable, as to_jsonb is: declared immutable, its body was never inlined (a body may not be more
-- volatile than its function), so every call was a SQL function of its own, parsed and planned again
-- (85 µs, twice for each field a change request queues).
create or replace function ps.patron_field_value(p ps.patron, p_field text) returns jsonb
    language sql stable
    as $$
        select case p_field
            when 'notification_method' then to_jsonb(p.notification_method)
            when 'email' then to_jsonb(p.email)
            when 'phone' then to_jsonb(p.phone1)
            when 'address' then jsonb_build_object('line1', p.address_line1, 'line2', p.address_line2, 'city', p.city,
                'state', p.state, 'postalCode', p.postal_code, 'country', p.country) end
    $$;
comment on function ps.patron_field_value(ps.patron, text) is 'The current value of one contact field of a patron, as JSON, for change requests and their history.';

-- Submitting changes from the PAC
-- Security invoker: staff apply approved values under their own row-level security; the PAC
-- submission (security definer) applies direct changes as the owner, for the signed-in patron only.
create or replace function ps.apply_patron_field(p_patron_id bigint, p_field text, p_value jsonb) returns void
    language plpgsql volatile set search_path = ps, pg_temp
    as $$
    begin
        case p_field
            when 'notification_method' then
                update patron set notification_method = p_value #>> '{}', updated_at = now() where patron_id = p_patron_id;
            when 'email' then
                update patron set email = p_value #>> '{}', updated_at = now() where patron_id = p_patron_id;
            when 'phone' then
                update patron set phone1 = p_value #>> '{}', updated_at = now() where patron_id = p_patron_id;
            when 'address' then
                update patron set address_line1 = p_value->>'line1', address_line2 = coalesce(p_value->>'line2', ''),
                    city = p_value->>'city', state = p_value->>'state', postal_code = p_value->>'postalCode',
                    country = p_value->>'country', updated_at = now()
                where patron_id = p_patron_id;
        end case;
    end $$;
comment on function ps.apply_patron_field(bigint, text, jsonb) is 'Writes one contact field of a patron (address, e-mail, phone) from an approved or direct account update.';
