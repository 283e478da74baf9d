-- Barcode + PIN sign-in. The same work (one bcrypt comparison) is done whether or not the barcode
-- exists, so timing does not reveal which barcodes are registered.
create or replace function ps.patron_sign_in(p_client_key text, p_barcode text, p_pin text, p_session_token text)
    returns table (outcome text, patron_id bigint, expires_at timestamptz, retry_after_seconds integer)
    language plpgsql volatile security definer set search_path = ps, public, pg_temp
    as $$
    declare
        v_client pac_client;
        v_patron patron;
        v_window integer := (select value from auth_setting where name = 'signin_window_seconds');
        v_max_barcode integer := (select value from auth_setting where name = 'signin_max_failures_per_barcode');
        v_max_client integer := (select value from auth_setting where name = 'signin_max_failures_per_client');
        v_lifetime integer := (select value from auth_setting where name = 'patron_session_seconds');
        v_oldest timestamptz;
        v_hash text;
        v_ok boolean;
        v_expires timestamptz;
    begin
        select * into v_client from pac_client c where c.key_hash = ps.sha256(p_client_key) and c.revoked_at is null;
        if not found then
            raise exception using errcode = 'PS401', message = 'invalid_client_key', detail = 'A valid PAC client key is required.';
        end if;
        -- Throttle: too many recent failures for this barcode, or from this client.
        select min(f.failed_at) into v_oldest from (
            select sf.failed_at from signin_failure sf
            where lower(sf.barcode) = lower(p_barcode) and sf.failed_at > now() - make_interval(secs => v_window)
            order by sf.failed_at desc limit v_max_barcode) f
        having count(*) >= v_max_barcode;
        if v_oldest is null then
            select min(f.failed_at) into v_oldest from (
                select sf.failed_at from signin_failure sf
                where sf.client_id = v_client.client_id and sf.failed_at > now() - make_interval(secs => v_window)
                order by sf.failed_at desc limit v_max_client) f
            having count(*) >= v_max_client;
        end if;
        if v_oldest is not null then
            return query select 'locked'::text, null::bigint, null::timestamptz,
                greatest(1, ceil(extract(epoch from (v_oldest + make_interval(secs => v_window) - now())))::integer);
            return;
        end if;
        select * into v_patron from patron p where lower(p.barcode) = lower(p_barcode) and p.deleted_at is null;
        -- A fixed dummy bcrypt hash (cost 8, as real ones) when there is no such patron or no PIN.
        v_hash := coalesce(v_patron.pin_hash, '$2a$08$nrUHFVXN6nSW0J4lS7ikVe9OX6yOMIaD7T5tLSJ3gRMqQ.mEWH/U.');
        v_ok := crypt(p_pin, v_hash) = v_hash and v_patron.pin_hash is not null;
        if not v_ok then
            insert into signin_failure (barcode, client_id) values (p_barcode, v_client.client_id);
            return query select 'invalid_credentials'::text, null::bigint, null::timestamptz, null::integer;
            return;
        end if;
        delete from signin_failure sf where lower(sf.barcode) = lower(p_barcode);
        v_expires := now() + make_interval(secs => v_lifetime);
        insert into patron_session (institution_id, patron_id, client_id, token_hash, expires_at)
        values (v_patron.institution_id, v_patron.patron_id, v_client.client_id, ps.sha256(p_session_token), v_expires);
        update patron p set last_activity_at = now() where p.patron_id = v_patron.patron_id;
        return query select 'signed_in'::text, v_patron.patron_id, v_expires, null::integer;
    end $$;
comment on function ps.patron_sign_in(text, text, text, text) is
    'Patron sign-in with barcode and PIN through a PAC client; records failures and refuses (outcome locked) after too many per barcode or per client within the window.';
revoke execute on function ps.patron_sign_in(text, text, text, text) from public, patron_report;
