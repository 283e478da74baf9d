-- The outstanding bills report pages by bill id over outstanding bills only: these indexes hold exactly
-- those, in page order, so a page reads its own rows and no paid, waived or cancelled bill, and a
-- library's page none of another library's.
create index bill_outstanding on ps.bill (bill_id) where state = 'outstanding';
comment on index ps.bill_outstanding is 'Outstanding bills in bill id order: the keyset pages of the consortium-wide Outstanding Fees and Bills report.';
create index bill_outstanding_institution on ps.bill (institution_id, bill_id) where state = 'outstanding';
comment on index ps.bill_outstanding_institution is 'A library''s outstanding bills in bill id order: the keyset pages of its Outstanding Fees and Bills report.';
