-- Lookups that every patron save and every import row make, which no index served:
-- * postal codes are matched case-insensitively (`upper(postal_code)` within a country); the unique
--   (country, postal_code) index cannot serve that, so a national table of tens of thousands of codes
--   was scanned per patron;
-- * an import refuses item barcodes other libraries hold, compared case-insensitively.
create index postal_code_upper on ps.postal_code (country, upper(postal_code));
create index item_barcode_lower on ps.item (lower(barcode));
