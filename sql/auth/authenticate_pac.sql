-- Called first in every PAC request's transaction: checks the client key and optional patron session.
create or replace function ps.authenticate_pac(p_client_key text, p_session_token text)
    returns table (client_id bigint, connection_branch_id bigint, patron_id bigint, institution_id bigint)
    language plpgsql volatile security definer set search_path = ps, public, pg_temp
    as $$
    declare
        v_client pac_client;
        v_session patron_session;
        -- Hashed once, as the staff token and the client key are, not for each session a scan reads.
        v_session_hash constant bytea := ps.sha256(p_session_token);
        v_set text;
    begin
        v_client := ps.live_pac_client(p_client_key);
        if p_session_token is not null then
            -- A session ends with the patron record, with the key that issued it, and is honoured only
            -- through a key of the library whose key issued it.
            select s.* into v_session from patron_session s
            join pac_client issuer on issuer.client_id = s.client_id and issuer.revoked_at is null
            join patron p on p.patron_id = s.patron_id and p.deleted_at is null
            where s.token_hash = v_session_hash and s.ended_at is null and s.expires_at > now()
              and issuer.institution_id = v_client.institution_id;
            if not found then
                raise exception using errcode = 'PS401', message = 'session_expired', detail = 'Sign in again.';
            end if;
        end if;
        -- Assignments, which PL/pgSQL evaluates itself; a `perform` or `return query` is a query each.
        v_set := set_config('ps.institution_id', coalesce(v_session.institution_id, v_client.institution_id)::text, true);
        v_set := set_config('ps.role', case when v_session.session_id is null then 'pac' else 'patron' end, true);
        v_set := set_config('ps.connection_branch_id', v_client.branch_id::text, true);
        v_set := set_config('ps.patron_id', coalesce(v_session.patron_id::text, ''), true);
        v_set := set_config('ps.session_id', coalesce(v_session.session_id::text, ''), true);
        v_set := set_config('ps.actor', coalesce('patron:' || v_session.patron_id, 'pac:' || v_client.client_id), true);
        client_id := v_client.client_id;
        connection_branch_id := v_client.branch_id;
        patron_id := v_session.patron_id;
        institution_id := coalesce(v_session.institution_id, v_client.institution_id);
        return next;
    end $$;
comment on function ps.authenticate_pac(text, text) is
    'Checks a PAC client key and optional patron session token (live, its patron not deleted, its issuing key not revoked and of the same library as this key) and sets the request identity: the patron''s institution when signed in, else the connection branch''s.';
revoke execute on function ps.authenticate_pac(text, text) from public, patron_report;

-- DELETE /pac/v1/session: the signed-in patron signs out; the session token is dead from then on.
create or replace function ps.sign_out() returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_session bigint := ps.request_setting('ps.session_id')::bigint;
    begin
        if v_session is null then
            raise exception using errcode = 'PS401', message = 'sign_in_required', detail = 'Sign in first.';
        end if;
        update patron_session set ended_at = now() where session_id = v_session and ended_at is null;
        return jsonb_build_object('signedOut', true);
    end $$;
comment on function ps.sign_out() is 'Ends the current patron session (set by ps.authenticate_pac) at once.';
revoke execute on function ps.sign_out() from public, patron_report;
