-- Where notifications go: with patron-supplied e-mail on, the patron-supplied address, else the
-- institution-supplied one; with no e-mail at all, print.
create or replace function ps.notification_address(p_patron_id bigint)
    returns table (channel text, address text)
    language plpgsql stable security definer set search_path = ps, pg_temp
    as $$
    begin
        -- PL/pgSQL, which keeps its plan (a security definer SQL function is planned in every statement).
        return query
        select case when a.address is null then 'print' else 'email' end, a.address
        from patron p
        left join patron_type_policy pp on pp.institution_id = p.institution_id and pp.patron_type_id = p.patron_type_id
        cross join lateral (select case when coalesce(pp.use_patron_supplied_email, true)
                                        then coalesce(p.email, p.alt_email, p.institution_email)
                                        else p.institution_email end as address) a
        where p.patron_id = p_patron_id and ps.can_see_institution(p.institution_id);
    end $$;
comment on function ps.notification_address(bigint) is
    'The address a patron''s notifications go to: the patron-supplied e-mail when the policy says so, else the institution-supplied one; print when there is none.';

create or replace function ps.contact_options(p_patron_id bigint) returns jsonb
    language sql stable
    as $$
        select jsonb_build_object('patronId', p.patron_id,
            'notification', (select jsonb_build_object('channel', a.channel, 'address', a.address) from ps.notification_address(p.patron_id) a),
            'accountOverview', case when pp.account_overview_template_id is not null then jsonb_build_object(
                'templateId', pp.account_overview_template_id,
                'template', (select t.name from ps.notice_template t where t.template_id = pp.account_overview_template_id),
                'replyTo', coalesce(first.address, second.address),
                'replyToChoice', case when first.address is not null then pp.reply_to_first
                                      when second.address is not null then pp.reply_to_second end) end)
        from ps.patron p
        join ps.library l on l.institution_id = p.institution_id
        join ps.patron_type t on t.patron_type_id = p.patron_type_id
        join ps.branch b on b.branch_id = p.registered_branch_id
        left join ps.patron_type_policy pp on pp.institution_id = p.institution_id and pp.patron_type_id = p.patron_type_id
        cross join lateral (select case pp.reply_to_first when 'institution' then l.reply_to_email when 'branch' then b.staff_email
                                                          when 'patron_type' then t.reply_to_email end as address) first
        cross join lateral (select case pp.reply_to_second when 'institution' then l.reply_to_email when 'branch' then b.staff_email end as address) second
        where p.patron_id = p_patron_id and p.deleted_at is null
    $$;
comment on function ps.contact_options(bigint) is
    'How staff may contact a patron: the notification channel and address, and the Account Overview option (template and resolved reply-to address) when the patron type policy assigns a template.';
