-- A bill keeps the currency it was raised in, beside its minor units: the report reads it from the bill
-- instead of joining every bill to its library (at 100k patrons the generic plan of a report page
-- re-read the libraries for each bill: 3.3 against 2.6 ms of server CPU a page), and the amounts of a
-- bill never depend on a later row. ps.bill_currency_set fills it from the owed library.
alter table ps.bill add column currency text;
update ps.bill b set currency = l.currency from ps.library l where l.institution_id = b.institution_id;
alter table ps.bill alter column currency set not null,
    add constraint bill_currency_check check (currency ~ '^[A-Z]{3}$');
comment on column ps.bill.currency is
    'ISO 4217 currency of the bill''s minor units: the owed library''s when the bill was raised (ps.bill_currency_set; a library''s currency cannot change once it holds bills).';
