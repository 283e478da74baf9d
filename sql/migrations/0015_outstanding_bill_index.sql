-- The outstanding bills report pages by bill id over outstanding bills only: this index holds exactly
-- those, in page order, so a page reads its own rows and no paid, waived or cancelled bill.
create index bill_outstanding on ps.bill (bill_id) where state = 'outstanding';
comment on index ps.bill_outstanding is 'Outstanding bills in bill id order: the keyset pages of the Outstanding Fees and Bills report.';
