-- Barcode + PIN sign-in. The same work (one bcrypt at the configured cost) is done whether or not the
-- barcode exists, and the barcode is found by index either way, so timing does not tell which exist.
create or replace function ps.patron_sign_in(p_client_key text, p_barcode text, p_pin text, p_session_token text, p_source text)
    returns table (outcome text, patron_id bigint, expires_at timestamptz, retry_after_seconds integer)
    language plpgsql volatile security definer set search_path = ps, public, pg_temp
    as $$
    declare
        v_client pac_client;
        v_patron patron;
        v_window integer := (select value from auth_setting where name = 'signin_window_seconds');
        v_max_barcode integer := (select value from auth_setting where name = 'signin_max_failures_per_barcode');
        v_max_source integer := (select value from auth_setting where name = 'signin_max_failures_per_source');
        v_lifetime integer := (select value from auth_setting where name = 'patron_session_seconds');
        v_cost integer := (select value from auth_setting where name = 'pin_bcrypt_cost');
        v_source text := coalesce(p_source, '');
        v_oldest timestamptz;
        v_hash text;
        v_ok boolean;
        v_expires timestamptz;
    begin
        v_client := ps.live_pac_client(p_client_key);
        -- One attempt at a time per barcode: the count of recent failures and this attempt's own failure
        -- are read and written under one lock, so concurrent wrong PINs cannot all pass the check.
        perform pg_advisory_xact_lock(hashtextextended('ps.patron_sign_in:' || lower(p_barcode), 0));
        -- Throttle: too many recent failures for this barcode, or from this address.
        select min(f.failed_at) into v_oldest from (
            select sf.failed_at from signin_failure sf
            where lower(sf.barcode) = lower(p_barcode) and sf.failed_at > now() - make_interval(secs => v_window)
            order by sf.failed_at desc limit v_max_barcode) f
        having count(*) >= v_max_barcode;
        if v_oldest is null then
            select min(f.failed_at) into v_oldest from (
                select sf.failed_at from signin_failure sf
                where sf.source = v_source and sf.failed_at > now() - make_interval(secs => v_window)
                order by sf.failed_at desc limit v_max_source) f
            having count(*) >= v_max_source;
        end if;
        if v_oldest is not null then
            return query select 'locked'::text, null::bigint, null::timestamptz,
                greatest(1, ceil(extract(epoch from (v_oldest + make_interval(secs => v_window) - now())))::integer);
            return;
        end if;
        select * into v_patron from patron p where lower(p.barcode) = lower(p_barcode) and p.deleted_at is null;
        -- No such patron (or no PIN): a fresh salt at the configured cost, so the comparison costs the same.
        v_hash := coalesce(v_patron.pin_hash, gen_salt('bf', v_cost));
        v_ok := crypt(p_pin, v_hash) = v_hash and v_patron.pin_hash is not null;
        if not v_ok then
            insert into signin_failure (barcode, client_id, source) values (p_barcode, v_client.client_id, v_source);
            return query select 'invalid_credentials'::text, null::bigint, null::timestamptz, null::integer;
            return;
        end if;
        delete from signin_failure sf where lower(sf.barcode) = lower(p_barcode);
        v_expires := now() + make_interval(secs => v_lifetime);
        insert into patron_session (institution_id, patron_id, client_id, token_hash, expires_at)
        values (v_patron.institution_id, v_patron.patron_id, v_client.client_id, ps.sha256(p_session_token), v_expires);
        -- A PIN hashed at another cost than the configured one is hashed again now that we know it.
        update patron p set last_activity_at = now(),
            pin_hash = case when substr(p.pin_hash, 5, 2)::integer <> v_cost then crypt(p_pin, gen_salt('bf', v_cost)) else p.pin_hash end
        where p.patron_id = v_patron.patron_id;
        return query select 'signed_in'::text, v_patron.patron_id, v_expires, null::integer;
    end $$;
comment on function ps.patron_sign_in(text, text, text, text, text) is
    'Patron sign-in with barcode and PIN through a PAC client, from a source address; records failures and refuses (outcome locked) after too many per barcode or per source address within the window; re-hashes a PIN of another bcrypt cost.';
revoke execute on function ps.patron_sign_in(text, text, text, text, text) from public, patron_report;
