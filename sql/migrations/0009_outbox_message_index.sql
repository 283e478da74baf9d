-- Delivery outcomes, resends and job summaries find outbox rows by message id alone (message ids are
-- unique: one identity); without this index each of them scanned the whole outbox.
create unique index outbox_message on ps.outbox (message_id);
