-- A bill knows whether its patron is deleted, so the Orphaned Bills report reads a library's deleted
-- patrons' outstanding bills from an index in bill id order, a page at a time. Through the deleted
-- patrons (0018's patron_deleted) every page joined all of the consortium's deleted patrons to their
-- bills: 38 of a page's 42 ms at a million patrons with 10,000 of them deleted. ps.bill_patron_deleted_set
-- and ps.patron_deleted_bills keep the flag. A library's pending memberships are read the same way.
alter table ps.bill add column patron_deleted boolean not null default false;
update ps.bill b set patron_deleted = true from ps.patron p where p.patron_id = b.patron_id and p.deleted_at is not null;
comment on column ps.bill.patron_deleted is
    'True while the bill''s patron is deleted (set by ps.bill_patron_deleted_set and ps.patron_deleted_bills, whatever a write names): with state outstanding, a candidate for the Orphaned Bills report.';
create index bill_patron_deleted on ps.bill (institution_id, bill_id) where state = 'outstanding' and patron_deleted;
comment on index ps.bill_patron_deleted is 'A library''s outstanding bills of deleted patrons, in bill id order: the pages of its Orphaned Bills report.';
create index bill_patron_deleted_all on ps.bill (bill_id) where state = 'outstanding' and patron_deleted;
comment on index ps.bill_patron_deleted_all is 'Every library''s outstanding bills of deleted patrons, in bill id order: a consortium administrator''s Orphaned Bills report.';
create index membership_pending_institution_bill on ps.membership (institution_id, bill_id) where state = 'pending';
comment on index ps.membership_pending_institution_bill is 'A library''s pending memberships'' bills, in bill id order: the pages of its Orphaned Bills report.';
