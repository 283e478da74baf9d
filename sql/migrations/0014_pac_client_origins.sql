-- CORS for PAC web front ends per PAC client: the browser origins (scheme://host[:port]) whose pages
-- may use a key, beside the service's global list (http.cors.allowedOrigins). Checked when a key is
-- used from a browser (ps.live_pac_client with the request's Origin) and on preflights.
alter table ps.pac_client add column allowed_origins text[] not null default '{}';
comment on column ps.pac_client.allowed_origins is
    'Browser origins (scheme://host[:port], at most 20) allowed to use this key besides the global http.cors.allowedOrigins; a request from any other origin is 403 origin_not_allowed.';
