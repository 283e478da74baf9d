-- The bills that can be orphaned, found through small indexes rather than by computing every outstanding
-- bill's orphan_reason: outstanding bills of deleted patrons (ps.bill.patron_deleted, read from the
-- caller's library's index, or every library's for a consortium administrator) and outstanding bills of
-- pending memberships. Security definer: the bills' patrons may be a partner library's.
-- A superset: ps.orphaned_bills keeps those whose orphan_reason the report computes. Only bills of the
-- institutions the caller sees; report logins call it through the view.
create or replace function ps.orphan_candidate_bills() returns setof bigint
    language sql stable security definer set search_path = ps, pg_temp rows 100
    as $$
        select b.bill_id from bill b
        where b.state = 'outstanding' and b.patron_deleted and b.institution_id = ps.current_institution_id()
        union
        select b.bill_id from bill b
        where coalesce(ps.current_staff_role(), '') = 'consortium_admin' and b.state = 'outstanding' and b.patron_deleted
        union
        select b.bill_id from membership m join bill b on b.bill_id = m.bill_id
        where m.state = 'pending' and b.state = 'outstanding' and ps.can_see_institution(b.institution_id)
    $$;
comment on function ps.orphan_candidate_bills() is
    'Ids of the outstanding bills that may be orphaned (a deleted patron''s, a pending membership''s), of the institutions the caller sees: the access path of ps.orphaned_bills.';
