-- Money is kept in minor units of a currency and never converted. How many digits a minor unit has
-- depends on the currency (ISO 4217): the yen has none, the Bahraini dinar three. Reading a cost and
-- writing an amount both ask here, so "25.00" is 2500 minor units of dollars but is refused for yen,
-- and 1250 is written 12.50 USD, 1250 JPY or 1.250 BHD.
create or replace function ps.currency_exponent(p_currency text) returns integer
    language sql immutable parallel safe
    as $$
        select case
            when p_currency in ('BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV',
                                'XAF', 'XOF', 'XPF') then 0
            when p_currency in ('BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND') then 3
            when p_currency in ('CLF', 'UYW') then 4
            else 2 end
    $$;
comment on function ps.currency_exponent(text) is
    'Digits of a minor unit of an ISO 4217 currency: 0 (JPY, KRW, ISK …), 3 (BHD, KWD, JOD …), 4 (CLF, UYW), else 2.';

-- The currencies a written symbol may stand for, as catalogues write costs ($25.00, £12, €3, ¥2500).
create or replace function ps.currency_symbol_fits(p_symbol text, p_currency text) returns boolean
    language sql immutable parallel safe
    as $$
        select case p_symbol
            when '$' then p_currency in ('USD', 'CAD', 'AUD', 'NZD', 'SGD', 'HKD', 'TWD', 'MXN', 'ARS', 'CLP', 'COP', 'UYU', 'DOP',
                                         'BSD', 'BBD', 'BZD', 'BMD', 'BND', 'KYD', 'FJD', 'GYD', 'JMD', 'LRD', 'NAD', 'SBD',
                                         'SRD', 'TTD', 'XCD')
            when '£' then p_currency in ('GBP', 'FKP', 'GIP', 'SHP', 'EGP')
            when '€' then p_currency = 'EUR'
            when '¥' then p_currency in ('JPY', 'CNY')
            else false end
    $$;
comment on function ps.currency_symbol_fits(text, text) is
    'Whether a cost written with the symbol ($, £, €, ¥) can be in the currency: $ for the dollars and pesos, £ for the pounds, € for EUR, ¥ for JPY and CNY.';

create or replace function ps.format_money(p_minor bigint, p_currency text) returns text
    language sql immutable parallel safe
    as $$
        select case when ps.currency_exponent(p_currency) = 0 then p_minor::text
                    else to_char(p_minor / 10::numeric ^ ps.currency_exponent(p_currency),
                                 'FM999999999999990.' || repeat('0', ps.currency_exponent(p_currency))) end || ' ' || p_currency
    $$;
comment on function ps.format_money(bigint, text) is
    'An amount in minor units written for people with its currency''s digits: 12.50 USD, 1250 JPY, 1.250 BHD.';
