-- The rules a patron's own fields obey, wherever the patron comes from (the staff API, an import):
-- barcode form, names, e-mail formats, the postal code against ps.postal_code, the notification method.
-- p is snake_case; returns every "field:code".
create or replace function ps.postal_code_known(p_postal_code text, p_country text) returns boolean
    language sql stable
    as $$
        select exists (select 1 from ps.postal_code pc where upper(pc.postal_code) = upper(p_postal_code) and pc.country = coalesce(p_country, 'US'))
    $$;
comment on function ps.postal_code_known(text, text) is
    'True when the postal code (any case) is in ps.postal_code for the country (US when null).';

-- One expression with no sub-select, so PostgreSQL inlines it into the calling query: an import runs it
-- for every row of a file (p should be a column or variable there, not an expression built per use).
create or replace function ps.patron_field_errors(p jsonb) returns text[]
    language sql stable
    as $$
        select array_remove(array[
            case when coalesce(p->>'barcode', '') !~ '^[A-Za-z0-9-]{4,40}$' then 'barcode:invalid' end,
            case when length(coalesce(p->>'first_name', '')) not between 1 and 100 then 'firstName:required' end,
            case when length(coalesce(p->>'last_name', '')) not between 1 and 100 then 'lastName:required' end,
            case when p->>'email' !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' then 'email:invalid_email' end,
            case when p->>'alt_email' !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' then 'altEmail:invalid_email' end,
            case when p->>'institution_email' !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' then 'institutionEmail:invalid_email' end,
            case when coalesce(p->>'postal_code', '') <> '' and not ps.postal_code_known(p->>'postal_code', p->>'country')
                 then 'postalCode:postal_code_not_found' end,
            case when coalesce(p->>'notification_method', 'mail') not in ('mail', 'email', 'phone', 'text') then 'notificationMethod:invalid' end
        ]::text[], null)
    $$;
comment on function ps.patron_field_errors(jsonb) is
    'Field errors ("field:code") of a patron''s own fields from snake_case JSON: barcode form, names, e-mail formats, postal code in ps.postal_code, notification method; shared by ps.save_patron and the patron import.';

-- Validates and saves a patron (insert when p_patron_id is null). Field errors are reported together:
-- PS422 validation_failed with hint 'field:code,field:code'.
create or replace function ps.save_patron(p_patron_id bigint, p jsonb) returns bigint
    language plpgsql volatile
    as $$
    declare
        v_errors text[] := '{}';
        v_branch ps.branch;
        v_type_id bigint;
        v_id bigint;
        v_existing ps.patron;
    begin
        if p_patron_id is not null then
            select * into v_existing from ps.patron where patron_id = p_patron_id and deleted_at is null for update;
            if not found then
                raise exception using errcode = 'PS404', message = 'patron_not_found', detail = 'No such patron.';
            end if;
            p := to_jsonb(v_existing) - 'pin_hash' || p;
        end if;
        v_errors := ps.patron_field_errors(p);
        select * into v_branch from ps.branch where branch_id = (p->>'registered_branch_id')::bigint
            and ps.can_see_institution(institution_id);
        if not found then v_errors := v_errors || 'registeredBranchId:not_found'::text; end if;
        select patron_type_id into v_type_id from ps.patron_type
            where patron_type_id = (p->>'patron_type_id')::bigint and institution_id = v_branch.institution_id and deleted_at is null;
        if v_type_id is null then v_errors := v_errors || 'patronTypeId:not_found'::text; end if;
        if ps.patron_barcode_taken(p->>'barcode', p_patron_id) then
            raise exception using errcode = 'PS409', message = 'barcode_taken', detail = 'That barcode is already in use.', hint = 'barcode:taken';
        end if;
        if cardinality(v_errors) > 0 then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'The patron has invalid fields.',
                hint = array_to_string(v_errors, ',');
        end if;
        if p_patron_id is null then
            insert into ps.patron (institution_id, barcode, registered_branch_id, patron_type_id, first_name, last_name,
                address_line1, address_line2, city, state, postal_code, country, email, alt_email, institution_email,
                phone1, phone2, phone3, notification_method, expiration_date, pin_hash)
            values (v_branch.institution_id, p->>'barcode', v_branch.branch_id, v_type_id, p->>'first_name', p->>'last_name',
                coalesce(p->>'address_line1', ''), coalesce(p->>'address_line2', ''), coalesce(p->>'city', ''), coalesce(p->>'state', ''),
                coalesce(p->>'postal_code', ''), coalesce(p->>'country', 'US'), p->>'email', p->>'alt_email', p->>'institution_email',
                p->>'phone1', p->>'phone2', p->>'phone3', coalesce(p->>'notification_method', 'mail'), (p->>'expiration_date')::date,
                case when p->>'pin' is not null then ps.hash_pin(p->>'pin') end)
            returning patron_id into v_id;
        else
            if v_branch.institution_id <> v_existing.institution_id then
                raise exception using errcode = 'PS422', message = 'validation_failed',
                    detail = 'A patron can only be re-registered at a branch of the same library.', hint = 'registeredBranchId:other_library';
            end if;
            update ps.patron set barcode = p->>'barcode', registered_branch_id = v_branch.branch_id, patron_type_id = v_type_id,
                first_name = p->>'first_name', last_name = p->>'last_name', address_line1 = coalesce(p->>'address_line1', ''),
                address_line2 = coalesce(p->>'address_line2', ''), city = coalesce(p->>'city', ''), state = coalesce(p->>'state', ''),
                postal_code = coalesce(p->>'postal_code', ''), country = coalesce(p->>'country', 'US'), email = p->>'email',
                alt_email = p->>'alt_email', institution_email = p->>'institution_email', phone1 = p->>'phone1', phone2 = p->>'phone2',
                phone3 = p->>'phone3', notification_method = coalesce(p->>'notification_method', 'mail'),
                expiration_date = (p->>'expiration_date')::date,
                pin_hash = case when p->>'pin' is not null then ps.hash_pin(p->>'pin') else pin_hash end,
                updated_at = now()
            where patron_id = p_patron_id
            returning patron_id into v_id;
        end if;
        return v_id;
    end $$;
comment on function ps.save_patron(bigint, jsonb) is
    'Creates (p_patron_id null) or updates a patron from snake_case JSON, validating every field (postal code against ps.postal_code, e-mail formats, barcode unique in the consortium). PS422 lists all offending fields.';

-- Patrons are never erased: their loans and bills stay (a deleted patron's fine shows as N/A in reports).
create or replace function ps.delete_patron(p_patron_id bigint) returns jsonb
    language sql volatile
    as $$
        update ps.patron set deleted_at = now(), pin_hash = null, updated_at = now()
        where patron_id = p_patron_id and deleted_at is null
        returning jsonb_build_object('patronId', patron_id, 'deletedAt', deleted_at)
    $$;
comment on function ps.delete_patron(bigint) is
    'Deletes a patron softly (deleted_at set, PIN cleared), keeping loans and bills; null when there is no live patron.';
