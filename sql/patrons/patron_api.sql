-- Volatile, so that it sees what the statement calling it has just written; PL/pgSQL, which keeps its
-- plan, where as a SQL function it was parsed and planned on every call (1.4 ms of a registration).
create or replace function ps.patron_api(p_patron_id bigint) returns jsonb
    language plpgsql volatile
    as $$
    begin
        return (select ps.api(to_jsonb(p)) || jsonb_build_object(
            'blocks', coalesce((
                select jsonb_agg(ps.api(to_jsonb(b)) order by b.block_id) from ps.patron_block b
                where b.institution_id = p.institution_id and b.patron_id = p.patron_id and b.lifted_at is null), '[]'),
            'noticeOptOuts', jsonb_build_object('almostOverdueAutoRenew', p.exclude_almost_overdue_auto_renew,
                'patronRecordExpiration', p.exclude_patron_rec_expiration, 'inactivePatron', p.exclude_inactive_patron),
            'pendingChangeRequest', (
                select jsonb_build_object('requestId', r.request_id, 'submittedAt', r.submitted_at, 'fields',
                    (select jsonb_agg(jsonb_build_object('field', f.field, 'oldValue', f.old_value, 'newValue', f.new_value, 'state', f.state)
                            order by f.field)
                     from ps.change_request_field f where f.institution_id = r.institution_id and f.request_id = r.request_id))
                from ps.change_request r where r.institution_id = p.institution_id and r.patron_id = p.patron_id and r.status = 'pending'))
        from ps.patron p where p.patron_id = p_patron_id and p.deleted_at is null);
    end $$;
comment on function ps.patron_api(bigint) is 'A patron as the REST API shows it, with active blocks and without the PIN hash.';
