-- The bills that can be orphaned, found through small indexes rather than by computing every outstanding
-- bill's orphan_reason: outstanding bills of deleted patrons (of any library: the caller sees the bill,
-- not necessarily its patron, hence security definer) and outstanding bills of pending memberships.
-- A superset: ps.orphaned_bills keeps those whose orphan_reason the report computes. Only bills of the
-- institutions the caller sees; report logins call it through the view.
create or replace function ps.orphan_candidate_bills() returns setof bigint
    language sql stable security definer set search_path = ps, pg_temp rows 100
    as $$
        select b.bill_id from patron p join bill b on b.patron_id = p.patron_id
        where p.deleted_at is not null and b.state = 'outstanding' and ps.can_see_institution(b.institution_id)
        union
        select b.bill_id from membership m join bill b on b.bill_id = m.bill_id
        where m.state = 'pending' and b.state = 'outstanding' and ps.can_see_institution(b.institution_id)
    $$;
comment on function ps.orphan_candidate_bills() is
    'Ids of the outstanding bills that may be orphaned (a deleted patron''s, a pending membership''s), of the institutions the caller sees: the access path of ps.orphaned_bills.';
