create or replace function ps.save_accruing_fines_policy(p_institution_id bigint, p jsonb) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_id bigint := ps.settings_institution(p_institution_id);
        v_row ps.accruing_fines_policy;
        v_merged jsonb;
    begin
        perform ps.raise_field_errors(ps.json_field_errors(p,
            '{"dailyFineMinor": "money", "maxFineMinor": "money?", "countsTowardBilledLimit": "boolean"}'), 'The policy has invalid fields.');
        select ps.api(to_jsonb(f)) into v_merged from ps.accruing_fines_policy f where institution_id = v_id;
        v_merged := coalesce(v_merged, '{}') || p;
        insert into ps.accruing_fines_policy (institution_id, daily_fine_minor, max_fine_minor, counts_toward_billed_limit)
        values (v_id, coalesce((v_merged->>'dailyFineMinor')::numeric::bigint, 0), (v_merged->>'maxFineMinor')::numeric::bigint,
                coalesce((v_merged->>'countsTowardBilledLimit')::boolean, false))
        on conflict (institution_id) do update set daily_fine_minor = excluded.daily_fine_minor,
            max_fine_minor = excluded.max_fine_minor, counts_toward_billed_limit = excluded.counts_toward_billed_limit
        returning * into v_row;
        return ps.api(to_jsonb(v_row)) || jsonb_build_object('currency', ps.institution_currency(v_row.institution_id));
    end $$;
comment on function ps.save_accruing_fines_policy(bigint, jsonb) is
    'Saves an institution''s Accruing Fines Policy: daily fine, maximum per item (null: none), and whether accruing fines count toward the outstanding billed limit.';

create or replace function ps.save_overdue_suspension_policy(p_institution_id bigint, p jsonb) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_id bigint := ps.settings_institution(p_institution_id);
        v_row ps.overdue_suspension_policy;
    begin
        perform ps.raise_field_errors(ps.json_field_errors(p, '{"minutesPerDayOverdue": "minutes"}')
            || case when not p ? 'minutesPerDayOverdue' then array['minutesPerDayOverdue:required'] else '{}' end, 'The policy has invalid fields.');
        insert into ps.overdue_suspension_policy values (v_id, (p->>'minutesPerDayOverdue')::numeric::integer)
        on conflict (institution_id) do update set minutes_per_day_overdue = excluded.minutes_per_day_overdue
        returning * into v_row;
        return ps.api(to_jsonb(v_row));
    end $$;
comment on function ps.save_overdue_suspension_policy(bigint, jsonb) is 'Saves how many minutes of suspension each day overdue earns at this institution (0: none).';

create or replace function ps.save_loan_limit_policy(p_institution_id bigint, p_patron_type_id bigint, p jsonb) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_id bigint := ps.settings_institution(p_institution_id);
        v_row ps.loan_limit_policy;
    begin
        -- The patron types of the institution and of those sharing a circulation group with it.
        if not exists (select 1 from ps.circulation_patron_types() t where t.patron_type_id = p_patron_type_id) then
            raise exception using errcode = 'PS404', message = 'patron_type_not_found', detail = 'No such patron type.';
        end if;
        perform ps.raise_field_errors(ps.json_field_errors(p, '{"verifiedLoanValueLimitMinor": "money?"}'), 'The policy has invalid fields.');
        insert into ps.loan_limit_policy values (v_id, p_patron_type_id, (p->>'verifiedLoanValueLimitMinor')::numeric::bigint)
        on conflict (institution_id, patron_type_id) do update set verified_loan_value_limit_minor = excluded.verified_loan_value_limit_minor
        returning * into v_row;
        return ps.api(to_jsonb(v_row)) || jsonb_build_object('currency', ps.institution_currency(v_row.institution_id));
    end $$;
comment on function ps.save_loan_limit_policy(bigint, bigint, jsonb) is
    'Saves the lending institution''s Loan Limit Policy for a patron type (its own or a circulation group partner''s): the Verified Loan Value Limit (null: not enabled).';

-- The policies as the API shows them: the configured row, or the table's defaults while none is configured.
create or replace function ps.accruing_fines_policy_of(p_institution_id bigint) returns jsonb
    language sql stable
    as $$
        select coalesce(
            (select ps.api(to_jsonb(f)) || '{"configured": true}' from ps.accruing_fines_policy f where f.institution_id = l.institution_id),
            ps.api(to_jsonb(d)) || '{"configured": false}') || jsonb_build_object('currency', l.currency)
        from ps.library l
        cross join lateral (select l.institution_id, 0::bigint as daily_fine_minor, null::bigint as max_fine_minor,
                                   false as counts_toward_billed_limit) d
        where l.institution_id = coalesce(p_institution_id, ps.current_institution_id())
    $$;
comment on function ps.accruing_fines_policy_of(bigint) is
    'An institution''s (default: the caller''s) Accruing Fines Policy, or its defaults (no fine, no maximum, not counted) with configured false, with the currency of its amounts; null when the caller cannot see the library.';

create or replace function ps.overdue_suspension_policy_of(p_institution_id bigint) returns jsonb
    language sql stable
    as $$
        select coalesce(
            (select ps.api(to_jsonb(o)) || '{"configured": true}' from ps.overdue_suspension_policy o where o.institution_id = l.institution_id),
            ps.api(to_jsonb(d)) || '{"configured": false}')
        from ps.library l
        cross join lateral (select l.institution_id, 0 as minutes_per_day_overdue) d
        where l.institution_id = coalesce(p_institution_id, ps.current_institution_id())
    $$;
comment on function ps.overdue_suspension_policy_of(bigint) is
    'An institution''s (default: the caller''s) overdue suspension rate, or 0 minutes per day with configured false; null when the caller cannot see the library.';
