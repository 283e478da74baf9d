-- Where and how a patron's notice goes, and the one function every rule uses to queue one.

-- WMS: "If the patron record has no email addresses, the system will generate a print notification."
-- Polaris reminders may go by text instead (vendor notes: e-mail, else text through the carrier's
-- e-mail-to-SMS gateway); only those callers pass p_allow_sms.
create or replace function ps.notice_route(p_patron_id bigint, p_allow_sms boolean)
    returns table (channel text, recipients text[], reply_to text, language text)
    language plpgsql stable security definer set search_path = ps, pg_temp
    as $$
    begin
        -- PL/pgSQL, as every security definer lookup on a request's path: PostgreSQL 15 plans a security
        -- definer SQL function's body again in each statement that calls it; PL/pgSQL keeps its plan.
        return query
        select case when a.channel = 'email' then 'email' when p_allow_sms and s.address is not null then 'sms' else 'print' end,
               case when a.channel = 'email' then array[a.address] when p_allow_sms and s.address is not null then array[s.address]
                    else '{}'::text[] end,
               coalesce(l.reply_to_email, b.staff_email),
               coalesce(p.language, 'en')
        from patron p
        join library l on l.institution_id = p.institution_id
        join branch b on b.branch_id = p.registered_branch_id
        cross join lateral notification_address(p.patron_id) a
        left join sms_carrier c on c.carrier_id = p.sms_carrier_id
        cross join lateral (select case when length(regexp_replace(coalesce(p.phone1, ''), '\D', '', 'g')) between 7 and 15
                                        and c.gateway_domain is not null
                                   then regexp_replace(p.phone1, '\D', '', 'g') || '@' || c.gateway_domain end as address) s
        where p.patron_id = p_patron_id and p.deleted_at is null;
    end $$;
comment on function ps.notice_route(bigint, boolean) is
    'Channel, recipients, Reply-To and language of a notice to a patron: e-mail to ps.notification_address; else (Polaris reminders only) text to phone1 at the carrier''s gateway; else print. Reply-To: the institution''s reply-to address, else the registered branch''s staff e-mail.';

-- Queues one notice; with a dedupe key, a second call for the same occasion (a second job run, another
-- process racing this one) queues nothing and returns null. Security definer: a bill posted by another
-- institution of a circulation group still notifies the patron through the home institution's outbox.
create or replace function ps.enqueue_notice(p_patron_id bigint, p_kind text, p_payload jsonb, p_dedupe_key text,
    p_template_id bigint, p_allow_sms boolean, p_reply_to text) returns bigint
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_id bigint;
    begin
        insert into outbox (institution_id, kind, channel, patron_id, branch_id, recipients, payload, dedupe_key, template_id,
                            reply_to, language)
        select p.institution_id, p_kind, r.channel, p.patron_id, p.registered_branch_id, r.recipients, coalesce(p_payload, '{}'),
               p_dedupe_key, p_template_id, coalesce(p_reply_to, r.reply_to), r.language
        from patron p cross join lateral notice_route(p.patron_id, p_allow_sms) r
        where p.patron_id = p_patron_id
        on conflict (dedupe_key) where dedupe_key is not null do nothing
        returning message_id into v_id;
        return v_id;
    end $$;
comment on function ps.enqueue_notice(bigint, text, jsonb, text, bigint, boolean, text) is
    'Queues a notice of a kind to a patron along ps.notice_route; returns its message id, or null when the dedupe key was already queued (or the patron is deleted).';
revoke execute on function ps.enqueue_notice(bigint, text, jsonb, text, bigint, boolean, text) from public, patron_report;
