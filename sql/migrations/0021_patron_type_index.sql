-- What deleting a patron type would touch (ps.patron_type_impact: its patrons, their loans, bills and
-- memberships) found the type's patrons by reading every patron of the consortium, once for each figure:
-- 1.06 s through the API at a million patrons.
create index patron_patron_type on ps.patron (patron_type_id);
comment on index ps.patron_patron_type is 'Patrons by patron type: what deleting a type or its policy would touch (ps.patron_type_impact).';
