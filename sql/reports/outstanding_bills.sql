-- Pages are keyset pages (bill_id > after order by bill_id limit n): the rows come from the
-- bill_outstanding index in order, and each one's patron, membership and policy are looked up for it
-- alone, so a page costs the same wherever it starts. The patron is read as the caller, when row-level
-- security shows it (the library's own patrons, deleted ones included; every patron for a consortium
-- administrator); only a partner library's patron goes through the security definer ps.bill_patron,
-- which costs 8 µs a call against about 1 µs (the branch whose condition fails is not run). The
-- currency is the bill's own (ps.bill.currency), so no bill is joined to its library: at 100k patrons
-- the generic plan of a page re-read the libraries for each bill.
create or replace view ps.outstanding_bills_report with (security_invoker = true) as
    select b.institution_id, b.bill_id, b.patron_id,
           case when bp.deleted then 'N/A' else bp.barcode end as patron_barcode,
           case when bp.deleted then 'N/A' else bp.name end as patron_name,
           bp.institution_id as patron_institution_id,
           b.kind, b.reason, b.amount_minor, b.amount_minor - b.paid_minor - b.waived_minor as balance_minor,
           b.currency,
           b.posted_at, b.created_at, m.membership_id,
           case when bp.deleted then 'patron_deleted'
                when m.membership_id is not null and m.state = 'pending'
                     and pp.membership_policy_id is distinct from m.membership_policy_id then 'membership_policy_removed' end as orphan_reason
    from ps.bill b
    left join ps.patron vp on vp.patron_id = b.patron_id
    cross join lateral (
        select vp.patron_id, vp.institution_id, vp.barcode, ps.report_patron_name(vp.last_name, vp.first_name) as name,
               vp.deleted_at is not null as deleted, vp.patron_type_id
        where vp.patron_id is not null
        union all
        select * from ps.bill_patron(b.bill_id) where vp.patron_id is null) bp
    left join ps.membership m on m.bill_id = b.bill_id
    left join ps.patron_type_policy pp on pp.institution_id = bp.institution_id and pp.patron_type_id = bp.patron_type_id
    where b.state = 'outstanding';
comment on view ps.outstanding_bills_report is
    'Outstanding Fees and Bills: every outstanding bill with its balance (minor units of currency, the owed institution''s); the patron shows as N/A when deleted. orphan_reason: patron_deleted, or membership_policy_removed for a pending membership bill whose policy no longer applies to the patron''s type (staff cancel these by hand).';

-- Read through its candidates (ps.orphan_candidate_bills), so a page or a DBA's query costs in
-- proportion to the deleted patrons' and pending memberships' bills, not to every outstanding bill.
create or replace view ps.orphaned_bills with (security_invoker = true) as
    select * from ps.outstanding_bills_report
    where orphan_reason is not null and bill_id in (select ps.orphan_candidate_bills());
comment on view ps.orphaned_bills is
    'Orphaned bills: outstanding bills of deleted patrons (shown as N/A) and pending membership bills left when a membership policy was removed from a patron type.';
