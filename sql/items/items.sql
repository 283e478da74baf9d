-- Staff CRUD for the items of a library: barcode (876 ‡p), owning branch, title (245), cost in minor
-- units of the library's currency (876 ‡c; none: an uncosted item, which adds nothing to the value on
-- loan) and status. Row-level security keeps each library to its own items.

create or replace function ps.item_api(i ps.item) returns jsonb
    language sql stable
    as $$
        select jsonb_build_object('itemId', i.item_id, 'institutionId', i.institution_id, 'branchId', i.branch_id, 'barcode', i.barcode,
            'title', i.title, 'costMinor', i.cost_minor, 'status', i.status,
            'currency', ps.institution_currency(i.institution_id),
            'onLoan', exists (select 1 from ps.loan l where l.item_id = i.item_id and l.state = 'active'),
            'createdAt', i.created_at, 'updatedAt', i.updated_at)
    $$;
comment on function ps.item_api(ps.item) is 'An item as the staff API shows it, with the currency of its cost and whether it is on loan now.';

-- The rules an item's values obey, from the staff API or an import: barcode form, title length, cost
-- within the money bound, status. Null arguments are not checked (required fields are the caller's
-- business). One expression, inlined into an import's query for every row.
create or replace function ps.item_value_errors(p_barcode text, p_title text, p_cost_minor bigint, p_status text) returns text[]
    language sql immutable
    as $$
        select array_remove(array[
            case when p_barcode !~ '^[A-Za-z0-9-]{3,40}$' then 'barcode:invalid' end,
            case when length(p_title) > 1000 then 'title:invalid' end,
            case when p_cost_minor not between 0 and ps.max_money_minor() then 'costMinor:invalid' end,
            case when p_status not in ('available', 'withdrawn', 'lost', 'missing', 'in_repair') then 'status:invalid' end
        ]::text[], null)
    $$;
comment on function ps.item_value_errors(text, text, bigint, text) is
    'Field errors ("field:code") of an item''s values: barcode (3–40 letters, digits, hyphens), title (up to 1000), cost (0 to ps.max_money_minor()), status; null arguments unchecked. Shared by ps.item_field_errors (the staff API) and the holdings import.';

-- The staff API's item body (camelCase JSON): JSON types and bounds, then the value rules.
create or replace function ps.item_field_errors(p jsonb) returns text[]
    language sql immutable
    as $$
        select ps.json_field_errors(p - 'title', '{"barcode": "text", "branchId": "positive", "costMinor": "money?", "status": "text"}')
            || case when p ? 'title' and jsonb_typeof(p->'title') <> 'string' then array['title:invalid'] else '{}'::text[] end
            || ps.item_value_errors(case when jsonb_typeof(p->'barcode') = 'string' then p->>'barcode' end,
                                    case when jsonb_typeof(p->'title') = 'string' then p->>'title' end, null,
                                    case when jsonb_typeof(p->'status') = 'string' then p->>'status' end)
    $$;
comment on function ps.item_field_errors(jsonb) is
    'Field errors ("field:code") of an item from camelCase JSON: the JSON types and bounds (costMinor money or null), then ps.item_value_errors; used by ps.save_item.';

create or replace function ps.save_item(p_item_id bigint, p jsonb) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_errors text[];
        v_current ps.item;
        v_merged jsonb;
        v_branch ps.branch;
        v_row ps.item;
    begin
        if ps.current_staff_role() not in ('consortium_admin', 'library_admin', 'circulation_supervisor') then
            raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Supervisors and administrators edit items.';
        end if;
        v_errors := ps.item_field_errors(p);
        if p_item_id is not null then
            select * into v_current from ps.item where item_id = p_item_id;
            if not found then
                return null;
            end if;
        else
            v_errors := v_errors || array(select f || ':required' from unnest(array['barcode', 'branchId']) f where not p ? f);
        end if;
        if jsonb_typeof(p->'branchId') = 'number' then
            select * into v_branch from ps.branch where branch_id = (p->>'branchId')::numeric;
            if v_branch.branch_id is null or not ps.can_write_institution(v_branch.institution_id)
               or (v_current.item_id is not null and v_branch.institution_id <> v_current.institution_id) then
                v_errors := v_errors || 'branchId:not_found'::text;
            end if;
        end if;
        perform ps.raise_field_errors(v_errors, 'The item has invalid fields.');
        v_merged := coalesce(case when v_current.item_id is not null then
            jsonb_build_object('barcode', v_current.barcode, 'branchId', v_current.branch_id, 'title', v_current.title,
                               'costMinor', v_current.cost_minor, 'status', v_current.status) end, '{}') || p;
        if p_item_id is null then
            insert into ps.item (institution_id, branch_id, barcode, title, cost_minor, status)
            values (v_branch.institution_id, v_branch.branch_id, v_merged->>'barcode', coalesce(v_merged->>'title', ''),
                    (v_merged->>'costMinor')::numeric::bigint, coalesce(v_merged->>'status', 'available'))
            returning * into v_row;
        else
            update ps.item set branch_id = (v_merged->>'branchId')::numeric::bigint, barcode = v_merged->>'barcode',
                title = coalesce(v_merged->>'title', ''), cost_minor = (v_merged->>'costMinor')::numeric::bigint,
                status = coalesce(v_merged->>'status', 'available'), updated_at = now()
            where item_id = p_item_id returning * into v_row;
            if not found then
                raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Report readers do not edit items.';
            end if;
        end if;
        return ps.item_api(v_row);
    end $$;
comment on function ps.save_item(bigint, jsonb) is
    'Creates (null id) or edits an item of the caller''s library: barcode (unique across the consortium), owning branch, title, cost in minor units (null: uncosted) and status; 422 lists every invalid field, null when the item is not visible.';

create or replace function ps.items(p_branch_id bigint, p_barcode text, p_after bigint, p_limit integer) returns jsonb
    language sql stable
    as $$
        select coalesce(jsonb_agg(ps.item_api(i) order by i.item_id), '[]') from (
            select * from ps.item i
            where (p_branch_id is null or i.branch_id = p_branch_id) and (p_barcode is null or i.barcode = p_barcode)
              and i.item_id > coalesce(p_after, 0)
            order by i.item_id limit least(greatest(coalesce(p_limit, 100), 1), 1000)) i
    $$;
comment on function ps.items(bigint, text, bigint, integer) is 'The caller''s items, by branch or barcode, in item id order after p_after (keyset paging, at most 1000 a page).';

create or replace function ps.delete_item(p_item_id bigint) returns jsonb
    language plpgsql volatile
    as $$
    begin
        if not exists (select 1 from ps.item where item_id = p_item_id) then
            return null;
        end if;
        if ps.current_staff_role() not in ('consortium_admin', 'library_admin', 'circulation_supervisor') then
            raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Supervisors and administrators delete items.';
        end if;
        if exists (select 1 from ps.loan where item_id = p_item_id) then
            raise exception using errcode = 'PS409', message = 'item_has_loans',
                detail = 'The item has loans on record; set its status to withdrawn instead.';
        end if;
        delete from ps.item where item_id = p_item_id;
        return jsonb_build_object('deleted', p_item_id);
    end $$;
comment on function ps.delete_item(bigint) is 'Deletes an item that was never lent (409 item_has_loans otherwise: withdraw it).';
