create or replace function ps.postal_code_matches_mask(p_code text, p_mask text) returns boolean
    language sql immutable
    as $$
        select length(p_code) = length(p_mask) and not exists (
            select 1 from generate_series(1, length(p_mask)) i
            where not case substr(p_mask, i, 1)
                when '9' then substr(p_code, i, 1) ~ '[0-9]'
                when 'A' then substr(p_code, i, 1) ~ '[A-Za-z]'
                when 'Z' then substr(p_code, i, 1) ~ '[0-9A-Za-z]'
                else substr(p_code, i, 1) = substr(p_mask, i, 1) end)
    $$;
comment on function ps.postal_code_matches_mask(text, text) is 'True when a postal code fits a Polaris-style mask (9 digit, A letter, Z either).';

-- Validation helpers
-- North American numbers: area code and prefix 2-9 then two digits, four-digit line number.
create or replace function ps.normalise_phone(p jsonb, p_validate boolean) returns text
    language plpgsql immutable
    as $$
    declare
        v_digits text;
    begin
        if jsonb_typeof(p) = 'object' then
            v_digits := coalesce(p->>'areaCode', '') || coalesce(p->>'prefix', '') || coalesce(p->>'lineNumber', '');
            if not p_validate then return nullif(trim(concat_ws('-', p->>'areaCode', p->>'prefix', p->>'lineNumber')), ''); end if;
        elsif jsonb_typeof(p) = 'string' then
            if not p_validate then
                return case when length(trim(p #>> '{}')) between 1 and 30 then trim(p #>> '{}') end;
            end if;
            v_digits := regexp_replace(p #>> '{}', '[\s().-]', '', 'g');
        else
            return null;
        end if;
        if v_digits !~ '^[2-9][0-9]{2}[2-9][0-9]{2}[0-9]{4}$' then return null; end if;
        return substr(v_digits, 1, 3) || '-' || substr(v_digits, 4, 3) || '-' || substr(v_digits, 7, 4);
    end $$;
comment on function ps.normalise_phone(jsonb, boolean) is
    'With validation on: a valid area code/prefix/line number as NNN-NNN-NNNN, else null. With it off: the free text (1-30 characters).';
