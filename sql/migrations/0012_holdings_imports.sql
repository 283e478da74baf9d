-- Holdings imports (MARC 21 holdings or bibliographic records with embedded holdings, or CSV) are
-- recorded like the other imports.
alter table ps.import_job drop constraint import_job_kind_check;
alter table ps.import_job add constraint import_job_kind_check check (kind in ('patrons', 'patron_types', 'holdings'));
