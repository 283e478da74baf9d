create or replace function ps.add_field_error(p_errors text[], p_field text, p_code text) returns text[]
    language sql immutable as $$ select p_errors || (p_field || ':' || p_code) $$;
comment on function ps.add_field_error(text[], text, text) is 'Appends "field:code" to a list of field errors (PS422 hints).';

-- Memberships, suspensions applied and lifted, the settings behind the limits (loan limit, accruing
-- fines, overdue suspensions), the impact of deleting a patron type or policy, and the Outstanding Fees
-- and Bills report with its orphaned bills.
-- Validation shared by the save functions: one pass over a camelCase JSON object against a spec
-- {"field": "type"}; types count (integer column, >= 0), positive (>= 1), money (bigint minor units,
-- >= 0, at most 2^53 - 1 so JSON clients keep it exact), boolean, text; a trailing ? allows null.
-- Returns every "field:code" error (required, wrong_type, invalid, unknown_field).
create or replace function ps.json_field_errors(p jsonb, p_spec jsonb) returns text[]
    language sql immutable
    as $$
        select coalesce(array_agg(e order by e), '{}') from (
            select k || ':' || case
                when not p_spec ? k then 'unknown_field'
                when jsonb_typeof(v) = 'null' then case when p_spec->>k like '%?' then null else 'required' end
                when p_spec->>k similar to '(count|positive|money|minutes)%' then
                    case when jsonb_typeof(v) <> 'number' then 'wrong_type'
                         when (v #>> '{}')::numeric <> trunc((v #>> '{}')::numeric)
                              or (v #>> '{}')::numeric > case when p_spec->>k like 'money%' then ps.max_money_minor()
                                                              when p_spec->>k like 'minutes%' then ps.max_suspension_minutes()
                                                              else 2147483647 end
                              or (v #>> '{}')::numeric < case when p_spec->>k like 'positive%' then 1 else 0 end then 'invalid' end
                when p_spec->>k = 'boolean' then case when jsonb_typeof(v) <> 'boolean' then 'wrong_type' end
                when p_spec->>k like 'text%' then case when jsonb_typeof(v) <> 'string' then 'wrong_type'
                                                     when length(v #>> '{}') > 200 then 'invalid' end
                end as e
            from jsonb_each(p) as j (k, v)) x
        where e is not null
    $$;
comment on function ps.json_field_errors(jsonb, jsonb) is
    'Field errors ("field:code") of a camelCase JSON object against a spec of field types (count: 0 to 2147483647, positive: 1 to 2147483647, money: 0 to ps.max_money_minor(), minutes: 0 to ps.max_suspension_minutes(), boolean, text: up to 200 characters; ? allows null); used by the save functions so a 422 lists every offending field.';

-- Raises PS422 validation_failed listing the fields, when there are any.
create or replace function ps.raise_field_errors(p_errors text[], p_detail text) returns void
    language plpgsql immutable
    as $$
    begin
        if cardinality(p_errors) > 0 then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = p_detail,
                hint = array_to_string(p_errors, ',');
        end if;
    end $$;
comment on function ps.raise_field_errors(text[], text) is 'Raises PS422 validation_failed listing the field errors, when there are any.';
