-- The orphaned bills report finds its candidates through these small indexes (ps.orphan_candidate_bills)
-- instead of computing every outstanding bill's orphan_reason: a page of a library with no orphans read
-- all of its outstanding bills (1.8 s at a million patrons).
create index patron_deleted on ps.patron (patron_id) where deleted_at is not null;
comment on index ps.patron_deleted is 'Deleted patrons: whose outstanding bills are orphaned (the Orphaned Bills report).';
create index membership_pending_bill on ps.membership (bill_id) where state = 'pending';
comment on index ps.membership_pending_bill is 'Bills of pending memberships: orphaned when the membership policy no longer applies (the Orphaned Bills report).';
