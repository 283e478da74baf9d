create or replace function ps.set_claim(p_loan_id bigint, p_claim text) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_loan loan := ps.lock_own_loan(p_loan_id);
    begin
        if p_claim is not null and p_claim not in ('claimed_lost', 'claimed_returned', 'claimed_never_had') then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'Unknown claim.', hint = 'claim:invalid';
        end if;
        if v_loan.state = 'returned' then
            raise exception using errcode = 'PS409', message = 'loan_returned', detail = 'A returned loan cannot be claimed.';
        end if;
        update loan set state = coalesce(p_claim, 'active') where loan_id = p_loan_id returning * into v_loan;
        return ps.api(to_jsonb(v_loan));
    end $$;
comment on function ps.set_claim(bigint, text) is 'Marks a loan claimed lost, claimed returned or claimed never had, or (null) clears the claim.';
