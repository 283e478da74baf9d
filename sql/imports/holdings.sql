-- A library's catalogue holdings: one row per item (876 ‡p barcode, 876 ‡c cost, 852 ‡b location, 245
-- title), from MARC records or a CSV. The location maps to a branch through the location table given
-- with the import (or the row names the branch). Costs such as 25.00, $25.00 or USD 25 become minor
-- units of the library's currency; an unparseable cost, or one in another currency, rejects the row, an
-- absent one makes an uncosted item. Items are upserted by barcode, so a second run of the same file
-- changes nothing.

-- A written cost's parts: a currency code before it, a symbol, the whole units, the fraction after .
-- or , and a currency code after it (each null when absent); null when it is not a cost at all.
create or replace function ps.cost_parts(p_text text) returns text[]
    language sql immutable parallel safe
    as $$ select regexp_match(upper(trim(p_text)), '^(?:([A-Z]{3})\s*|([$£€¥])\s*)?([0-9]{1,13})(?:[.,]([0-9]{1,4}))?\s*([A-Z]{3})?$') $$;
comment on function ps.cost_parts(text) is
    'The parts of a written cost: {code before, symbol, units, fraction, code after}; null when the text is not a cost.';

-- A cost is in the library's currency: one that names another (EUR 25 in a dollar library, or a
-- symbol that cannot stand for it) is refused, never relabelled, and its digits after the point may not
-- exceed the currency's minor unit (25.00 is refused for yen).
create or replace function ps.parse_cost_minor(p_text text, p_currency text) returns bigint
    language plpgsql immutable parallel safe
    as $$
    declare
        v_match text[];
        v_exponent integer := ps.currency_exponent(p_currency);
    begin
        -- The usual shapes (25, 25.00, $25.00 for a currency of hundredths) without the general pattern:
        -- a holdings import calls this for every item.
        if v_exponent = 2 and p_text ~ '^\$?[0-9]{1,13}(\.[0-9]{2})?$'
           and (left(p_text, 1) <> '$' or ps.currency_symbol_fits('$', p_currency)) then
            return replace(replace(p_text, '$', ''), '.', '')::bigint * case when position('.' in p_text) > 0 then 1 else 100 end;
        end if;
        v_match := ps.cost_parts(p_text);
        if v_match is null or ps.cost_parts_name_other_currency(v_match, p_currency)
           or length(coalesce(v_match[4], '')) > v_exponent then
            return null;
        end if;
        return v_match[3]::bigint * (10 ^ v_exponent)::bigint + coalesce(rpad(v_match[4], v_exponent, '0'), '0')::bigint;
    end $$;
comment on function ps.parse_cost_minor(text, text) is
    'An 876 ‡c cost written 25, 25.00, 25,5, $25.00, USD 25 or 25 USD, in minor units of the given currency; null when it cannot be read, names another currency, or has more fraction digits than the currency''s minor unit.';

create or replace function ps.cost_parts_name_other_currency(p_parts text[], p_currency text) returns boolean
    language sql immutable parallel safe
    as $$
        select coalesce(p_parts[1] <> p_currency, false) or coalesce(p_parts[5] <> p_currency, false)
               or (p_parts[2] is not null and not ps.currency_symbol_fits(p_parts[2], p_currency))
    $$;
comment on function ps.cost_parts_name_other_currency(text[], text) is
    'True when a written cost''s parts (ps.cost_parts) name a currency (a code before or after, or a symbol) that is not the given one.';

create or replace function ps.cost_names_other_currency(p_text text, p_currency text) returns boolean
    language sql immutable parallel safe
    as $$ select ps.cost_parts_name_other_currency(ps.cost_parts(p_text), p_currency) $$;
comment on function ps.cost_names_other_currency(text, text) is
    'True when a written cost names a currency (a code before or after, or a symbol) that is not the given one.';

create or replace function ps.apply_holding_import(p_institution_id bigint, p_dry_run boolean, p_file text, p_locations jsonb)
    returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_institution bigint := ps.settings_institution(p_institution_id);
        v_rows integer := (select count(*) from pg_temp.import_holding);
        -- Costs are read in the library's currency.
        v_currency text := ps.institution_currency(v_institution);
    begin
        -- Two imports into one library at once would race on the same barcodes: one waits for the other.
        perform pg_advisory_xact_lock(hashtextextended('ps.import:' || v_institution, 0));
        create temp table import_holding_checked on commit drop as
        select s.*, coalesce(s.record, s.row_number) as report_row, coalesce(bb.branch_id, lb.branch_id) as branch_id,
               nullif(trim(s.cost), '') as cost_text, ps.parse_cost_minor(s.cost, v_currency) as cost_minor
        from pg_temp.import_holding s
        left join ps.branch bb on bb.institution_id = v_institution and bb.code = nullif(trim(s.branch), '')
        left join ps.branch lb on lb.institution_id = v_institution and lb.code = coalesce(p_locations, '{}')->>trim(s.location);
        analyze import_holding_checked;
        -- Every check is one statement over the whole file. Rejects name the MARC record (or CSV row);
        -- a rejected record holds back all its items.
        insert into pg_temp.import_row_reject (row_number, field, code)
        select c.report_row, split_part(f, ':', 1), split_part(f, ':', 2)
        from import_holding_checked c
        cross join lateral unnest(ps.item_value_errors(coalesce(trim(c.barcode), ''), coalesce(trim(c.title), ''), c.cost_minor, null)) f;
        insert into pg_temp.import_row_reject (row_number, field, code)
        select c.report_row, case when nullif(trim(c.branch), '') is not null then 'branch' else 'location' end,
            case when nullif(trim(c.branch), '') is not null then 'not_found'
                 when nullif(trim(c.location), '') is not null then 'unmapped_location' else 'location_required' end
        from import_holding_checked c where c.branch_id is null;
        insert into pg_temp.import_row_reject (row_number, field, code)
        select c.report_row, 'cost', case when ps.cost_names_other_currency(c.cost_text, v_currency) then 'currency_mismatch' else 'invalid' end
        from import_holding_checked c where c.cost_text is not null and c.cost_minor is null;
        insert into pg_temp.import_row_reject (row_number, field, code)
        select c.report_row, 'barcode', 'duplicate_in_file'
        from import_holding_checked c
        join (select lower(trim(d.barcode)) as barcode from import_holding_checked d group by 1 having count(*) > 1) dup
          on dup.barcode = lower(trim(c.barcode));
        insert into pg_temp.import_row_reject (row_number, field, code)
        select c.report_row, 'barcode', 'item_taken'
        from import_holding_checked c
        join ps.item_barcodes_elsewhere(v_institution, array(select lower(trim(barcode)) from import_holding_checked)) x
          on x.barcode = lower(trim(c.barcode));

        if not p_dry_run then
            create temp table import_holding_valid on commit drop as
            select trim(c.barcode) as barcode, c.branch_id, coalesce(trim(c.title), '') as title, c.cost_minor
            from import_holding_checked c
            where not exists (select 1 from pg_temp.import_row_reject r where r.row_number = c.report_row);
            analyze import_holding_valid;
            -- Items the library already has: changed only where a value differs (a second run writes nothing).
            update ps.item i set branch_id = v.branch_id, title = v.title, cost_minor = v.cost_minor, updated_at = now()
            from import_holding_valid v
            where i.barcode = v.barcode and i.institution_id = v_institution
              and (i.branch_id, i.title, i.cost_minor) is distinct from (v.branch_id, v.title, v.cost_minor);
            -- New items: a plain insert; other libraries' barcodes were rejected, the advisory lock keeps
            -- another import of this library out.
            insert into ps.item (institution_id, branch_id, barcode, title, cost_minor)
            select v_institution, v.branch_id, v.barcode, v.title, v.cost_minor
            from import_holding_valid v
            where not exists (select 1 from ps.item i where i.barcode = v.barcode);
        end if;
        return ps.record_import(v_institution, 'holdings', p_file, p_dry_run, v_rows);
    end $$;
comment on function ps.apply_holding_import(bigint, boolean, text, jsonb) is
    'Applies staged holdings to a library: rejects rows that break the item rules, name no known branch or an unmapped 852 ‡b location (p_locations: {"location": "BRANCH-CODE"}), carry an unreadable cost or a barcode of another library (or repeat one), and upserts the rest by barcode; a dry run only reports.';

-- Which of a file's barcodes (lower case) other libraries' items hold, to refuse them in a holdings
-- import; security definer: the importing library cannot see those items, only that their barcodes are
-- taken. Probes the barcode index once per file barcode instead of reading every item.
create or replace function ps.item_barcodes_elsewhere(p_institution_id bigint, p_barcodes text[]) returns table (barcode text)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select distinct lower(i.barcode) from unnest(p_barcodes) b (barcode)
        join item i on lower(i.barcode) = b.barcode and i.institution_id <> p_institution_id
    $$;
comment on function ps.item_barcodes_elsewhere(bigint, text[]) is
    'Those of the given lower-cased barcodes that another library''s item holds, to reject them in a holdings import.';
revoke execute on function ps.item_barcodes_elsewhere(bigint, text[]) from public, patron_report;
