-- Sign-in throttling per source address rather than per PAC client key: failures from one address lock
-- that address, never every patron of a public PAC key. PINs are hashed at the configured bcrypt cost
-- (re-hashed at the next successful sign-in when it changes).
alter table ps.signin_failure add column source text not null default '';
comment on column ps.signin_failure.source is 'The address the failed sign-in came from ('''' when unknown).';
create index signin_failure_source on ps.signin_failure (source, failed_at);
insert into ps.auth_setting (name, value) values ('signin_max_failures_per_source', 50), ('pin_bcrypt_cost', 10);
delete from ps.auth_setting where name = 'signin_max_failures_per_client';

-- Barcodes are looked up case-insensitively: by index, so an unknown barcode costs what a known one does.
create index patron_barcode_lower on ps.patron (lower(barcode));
