-- The bills that can be orphaned, found through small indexes rather than by computing every outstanding
-- bill's orphan_reason: outstanding bills of deleted patrons (ps.bill.patron_deleted, read from the
-- caller's library's index, or every library's for a consortium administrator) and outstanding bills of
-- pending memberships. Security definer: the bills' patrons may be a partner library's.
-- A superset: ps.orphaned_bills keeps those whose orphan_reason the report computes. Only bills of the
-- institutions the caller sees; report logins call it through the view. A page asks for the candidates
-- after its start, and for only its own number of deleted patrons' bills, all of which are orphans; a
-- library's pending memberships (few: a fee not yet paid) come whole, since some of them are not.
create or replace function ps.orphan_candidate_bills(p_after bigint default 0, p_limit bigint default null) returns setof bigint
    language sql stable security definer set search_path = ps, pg_temp rows 100
    as $$
        (select b.bill_id from bill b
         where b.institution_id = ps.current_institution_id() and b.state = 'outstanding' and b.patron_deleted and b.bill_id > p_after
         order by b.bill_id limit p_limit)
        union
        (select b.bill_id from bill b
         where coalesce(ps.current_staff_role(), '') = 'consortium_admin' and b.state = 'outstanding' and b.patron_deleted
           and b.bill_id > p_after
         order by b.bill_id limit p_limit)
        union
        select m.bill_id from membership m join bill b on b.bill_id = m.bill_id
        where m.institution_id = ps.current_institution_id() and m.state = 'pending' and m.bill_id > p_after and b.state = 'outstanding'
        union
        select m.bill_id from membership m join bill b on b.bill_id = m.bill_id
        where coalesce(ps.current_staff_role(), '') = 'consortium_admin' and m.state = 'pending' and m.bill_id > p_after
          and b.state = 'outstanding'
    $$;
comment on function ps.orphan_candidate_bills(bigint, bigint) is
    'Ids of the outstanding bills after p_after that may be orphaned, of the institutions the caller sees: a deleted patron''s (the first p_limit, all when null: every one is orphaned) and every pending membership''s (orphaned only if its policy no longer applies). The access path of ps.orphaned_bills and of the report''s pages.';
