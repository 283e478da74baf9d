-- Notice templates: per institution (the consortium's inherited), kind, language and name, in Mustache.
-- The service parses a template before saving it (syntax) and sends the variables it names with the
-- sections they sit in; this file decides which of them the kind knows.

create or replace function ps.unknown_notice_variables(p_kind text, p_tags jsonb) returns table (part text, name text)
    language sql immutable
    as $$
        select distinct t->>'part', t->>'name'
        from jsonb_array_elements(coalesce(p_tags, '[]')) t
        where t->>'name' <> '.' and not exists (
            select 1 from unnest(ps.notice_variables(p_kind)) v
            cross join lateral (select (t->>'name') as name union all
                                select s || '.' || (t->>'name') from jsonb_array_elements_text(coalesce(t->'sections', '[]')) s) c
            where v = c.name or v like c.name || '.%')
        order by 1, 2
    $$;
comment on function ps.unknown_notice_variables(text, jsonb) is
    'The variables of a template (given as {part, name, sections}) a notice kind does not know; a name inside a list section may be one of the list''s item fields.';

-- Which template renders a notice: the one a policy chose; else the institution's "standard" one in the
-- patron's language, the consortium's in that language, the institution's in English, the consortium's.
-- (setof, one row at most, so a caller's FROM inlines it.)
create or replace function ps.notice_template_for(p_institution_id bigint, p_kind text, p_language text, p_template_id bigint)
    returns setof ps.notice_template
    language sql stable
    as $$
        select t.* from ps.notice_template t
        where (p_template_id is not null and t.template_id = p_template_id)
           or (t.kind = p_kind and t.name = 'standard' and t.language in (p_language, 'en')
               and (t.institution_id = p_institution_id or t.institution_id is null))
        order by t.template_id = p_template_id desc nulls last, t.language <> p_language, t.institution_id is null
        limit 1
    $$;
comment on function ps.notice_template_for(bigint, text, text, bigint) is
    'The template a notice renders with: the chosen one, else the standard template of its kind, the institution''s before the consortium''s, the patron''s language before English.';

create or replace function ps.save_notice_template(p_template_id bigint, p jsonb, p_tags jsonb) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_errors text[];
        v_current jsonb;
        v_row ps.notice_template;
        v_institution bigint;
        v_unknown text;
    begin
        if ps.current_staff_role() not in ('library_admin', 'consortium_admin') then
            raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Administrators edit notice templates.';
        end if;
        v_errors := ps.json_field_errors(p - 'subject' - 'bodyText' - 'bodyHtml', '{"institutionId": "positive?", "kind": "text",
            "language": "text", "name": "text"}')
            || array(select f || case when jsonb_typeof(p->f) <> 'string' then ':wrong_type' else ':invalid' end
                     from unnest(array['subject', 'bodyText']) f
                     where p ? f and (jsonb_typeof(p->f) <> 'string' or length(p->>f) not between 1 and case f when 'subject' then 500 else 20000 end))
            || array(select 'bodyHtml:invalid' where p ? 'bodyHtml' and jsonb_typeof(p->'bodyHtml') not in ('string', 'null')
                                                     or length(p->>'bodyHtml') not between 1 and 100000);
        if p_template_id is not null then
            select ps.api(to_jsonb(t)) into v_current from ps.notice_template t where template_id = p_template_id;
            if v_current is null then
                return null;
            end if;
            v_errors := v_errors || array(select f || ':read_only' from unnest(array['institutionId', 'kind', 'language', 'name']) f where p ? f)
                                 || array(select f || ':required' from unnest(array['subject', 'bodyText']) f where not p ? f);
        else
            v_errors := v_errors || array(select f || ':required' from unnest(array['kind', 'subject', 'bodyText']) f where not p ? f);
            if jsonb_typeof(p->'kind') = 'string' and p->>'kind' not in ('patron_change_confirmation', 'staff_change_request',
                    'membership_expiry_reminder', 'bill_notice', 'suspension_notice', 'account_overview', 'almost_overdue',
                    'patron_record_expiration', 'inactive_patron') then
                v_errors := v_errors || 'kind:invalid'::text;
            end if;
            if jsonb_typeof(p->'language') = 'string' and p->>'language' !~ '^[a-z]{2,3}(-[A-Z]{2})?$' then
                v_errors := v_errors || 'language:invalid'::text;
            end if;
        end if;
        v_current := coalesce(v_current, '{}') || p;
        select v_errors || coalesce(array_agg(distinct u.part || ':unknown_variable'), '{}'),
               string_agg(u.part || ' {{' || u.name || '}}', ', ')
        into v_errors, v_unknown from ps.unknown_notice_variables(v_current->>'kind', p_tags) u;
        perform ps.raise_field_errors(v_errors, 'The template has problems.' || coalesce(' Unknown variables: ' || v_unknown || '.', ''));
        if p_template_id is null then
            -- institutionId absent: the caller's library (a consortium administrator's: the consortium default);
            -- null: the consortium default, which only consortium administrators write.
            if jsonb_typeof(p->'institutionId') = 'number' then
                v_institution := ps.settings_institution((p->>'institutionId')::numeric::bigint);
            elsif ps.is_consortium_admin() then
                v_institution := null;
            elsif p ? 'institutionId' then
                raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Only consortium administrators write consortium templates.';
            else
                v_institution := ps.current_institution_id();
            end if;
            insert into ps.notice_template (institution_id, kind, language, name, subject, body_text, body_html, updated_by)
            values (v_institution, p->>'kind', coalesce(p->>'language', 'en'), coalesce(nullif(trim(p->>'name'), ''), 'standard'),
                    p->>'subject', p->>'bodyText', p->>'bodyHtml', coalesce(ps.request_setting('ps.actor'), session_user))
            returning * into v_row;
        else
            -- A whole replacement (PUT): a template saved without bodyHtml has no HTML part.
            update ps.notice_template set subject = p->>'subject', body_text = p->>'bodyText', body_html = p->>'bodyHtml', updated_at = now(), updated_by = coalesce(ps.request_setting('ps.actor'), session_user)
            where template_id = p_template_id returning * into v_row;
            if not found then
                raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Only consortium administrators edit consortium templates.';
            end if;
        end if;
        return ps.api(to_jsonb(v_row));
    end $$;
comment on function ps.save_notice_template(bigint, jsonb, jsonb) is
    'Creates (null id; institutionId null: a consortium template, consortium administrators only) or edits a notice template; 422 lists every invalid field and every variable the kind does not know.';

create or replace function ps.notice_templates(p_kind text) returns jsonb
    language sql stable
    as $$
        select coalesce(jsonb_agg(ps.api(to_jsonb(t)) order by t.kind, t.institution_id nulls first, t.language, t.name), '[]')
        from ps.notice_template t where p_kind is null or t.kind = p_kind
    $$;
comment on function ps.notice_templates(text) is 'The templates the caller can see (the consortium''s and their institution''s), optionally of one kind.';

create or replace function ps.delete_notice_template(p_template_id bigint) returns jsonb
    language plpgsql volatile
    as $$
    begin
        if not exists (select 1 from ps.notice_template where template_id = p_template_id) then
            return null;
        end if;
        if exists (select 1 from ps.patron_type_policy where account_overview_template_id = p_template_id) then
            raise exception using errcode = 'PS409', message = 'template_in_use', detail = 'A patron type policy uses this Account Overview template.';
        end if;
        delete from ps.notice_template where template_id = p_template_id;
        if not found then
            raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Only consortium administrators delete consortium templates.';
        end if;
        return jsonb_build_object('deleted', p_template_id);
    end $$;
comment on function ps.delete_notice_template(bigint) is 'Deletes a template no patron type policy uses; notices queued with it fall back to the standard template.';
