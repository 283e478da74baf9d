-- Items get a status and timestamps for the staff items API (a library's holdings: barcode, owning
-- branch, title, the 876 ‡c cost). Being on loan is not a status: it is read from the loans.
alter table ps.item
    add column status text not null default 'available' check (status in ('available', 'withdrawn', 'lost', 'missing', 'in_repair')),
    add column created_at timestamptz not null default now(),
    add column updated_at timestamptz not null default now();
alter table ps.item add constraint item_title_check check (length(title) <= 1000);
comment on column ps.item.status is 'available, withdrawn, lost, missing or in_repair; only an available item can be checked out. On loan is derived from the loans.';
comment on column ps.item.title is 'The title (MARC 245), up to 1000 characters.';
comment on column ps.item.barcode is 'The item barcode (876 ‡p), unique across the consortium.';
