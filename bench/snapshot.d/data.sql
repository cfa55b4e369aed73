-- bench/snapshot: the source's rows, generated server-side and deterministic (hashint8 of the row
-- number, never random()), scaled by the psql variable :scale (1 gives about 0.9 GB with indexes).
\set ON_ERROR_STOP 1
SELECT greatest(1, round(250000 * :scale))::bigint AS n_customers,
       greatest(100, round(20000 * least(:scale, 1)))::bigint AS n_products,
       greatest(1, round(1250000 * :scale))::bigint AS n_orders,
       greatest(1, round(600000 * :scale))::bigint AS n_events \gset

INSERT INTO countries
SELECT chr(65 + k / 26) || chr(65 + k % 26), 'Country ' || (k + 1)
FROM generate_series(0, 249) k;

INSERT INTO currencies
SELECT c, 'Currency ' || c, CASE WHEN c IN ('JPY', 'KRW') THEN 0 ELSE 2 END
FROM unnest(ARRAY['EUR','USD','GBP','JPY','CHF','SEK','NOK','DKK','PLN','CZK','HUF','RON','BGN','CAD',
                  'AUD','NZD','SGD','HKD','KRW','INR','BRL','MXN','ZAR','TRY','ILS','AED','SAR','CNY',
                  'THB','MYR']) c;

INSERT INTO app_settings
SELECT 'setting.' || i,
       jsonb_build_object('enabled', i % 2 = 0, 'limit', i * 100, 'owners', jsonb_build_array('team-' || i % 7)),
       timestamptz '2024-06-01 00:00:00+00' + i * interval '1 hour'
FROM generate_series(1, 60) i;

INSERT INTO products
SELECT i,
       'SKU-' || lpad(i::text, 7, '0'),
       'Product ' || i || ' ' || substr(md5(i::text), 1, 10),
       CASE WHEN i % 5 = 0 THEN NULL ELSE repeat(md5(i::text) || ' ', 1 + i % 6) END,
       (1 + abs(hashint8(i)) % 50000) / 100.0,
       (ARRAY['EUR','USD','GBP','CHF'])[1 + i % 4],
       jsonb_build_object('color', (ARRAY['red','green','blue','black','white'])[1 + i % 5],
                          'weight_g', 50 + abs(hashint8(i * 3)) % 5000,
                          'tags', jsonb_build_array('cat-' || i % 40, 'brand-' || i % 300)),
       timestamptz '2018-01-01 00:00:00+00' + (abs(hashint8(i * 7)) % (6 * 365 * 86400)) * interval '1 second'
FROM generate_series(1, :n_products) i;

INSERT INTO customers
SELECT i,
       'user' || i || '@' || (ARRAY['example.com','mail.test','corp.example','shop.example'])[1 + i % 4],
       'Customer ' || substr(md5(i::text), 1, 6) || ' ' || i,
       chr(65 + (abs(hashint8(i)) % 250) / 26) || chr(65 + (abs(hashint8(i)) % 250) % 26),
       timestamptz '2019-01-01 00:00:00+00' + (abs(hashint8(i * 5)) % (5 * 365 * 86400)) * interval '1 second',
       jsonb_build_object(
           'newsletter', i % 3 = 0,
           'tier', (ARRAY['free','pro','enterprise'])[1 + abs(hashint8(i * 3)) % 3],
           'tags', jsonb_build_array('t' || i % 17, 't' || i % 29),
           'address', jsonb_build_object('street', (i % 999) || ' Main Street', 'city', 'City ' || i % 5000,
                                         'zip', lpad((i % 99999)::text, 5, '0')))
FROM generate_series(1, :n_customers) i;

INSERT INTO orders (id, customer_id, status, currency, total, created_at, shipped_at, note)
SELECT i,
       1 + abs(hashint8(i)) % :n_customers,
       (ARRAY['delivered','delivered','delivered','delivered','shipped','paid','new','cancelled','returned','delivered'])[1 + i % 10],
       (ARRAY['EUR','EUR','USD','GBP','CHF','SEK'])[1 + abs(hashint8(i * 11)) % 6],
       (abs(hashint8(i * 7)) % 100000) / 100.0,
       ts,
       CASE WHEN i % 10 IN (6, 7) THEN NULL ELSE ts + (1 + i % 5) * interval '1 day' END,
       CASE WHEN i % 3 = 0 THEN 'Leave at the door, code ' || substr(md5(i::text), 1, 12) END
FROM generate_series(1, :n_orders) i,
     LATERAL (SELECT timestamptz '2020-01-01 00:00:00+00' + (i * 100 + abs(hashint8(i * 13)) % 100) * interval '1 second' AS ts) t;

-- 1 to 7 lines per order, 4 on average.
INSERT INTO order_items (order_id, line, product_id, qty, unit_price, discount)
SELECT o, l,
       1 + abs(hashint8(o * 8 + l)) % :n_products,
       1 + (o + l) % 5,
       (100 + abs(hashint8(o * 8 + l + 1)) % 50000) / 100.0,
       CASE WHEN (o + l) % 10 = 0 THEN 5.00 ELSE 0 END
FROM generate_series(1, :n_orders) o,
     generate_series(1, 1 + abs(hashint8(o)) % 7) l;

-- About 5% land after 2024, in the default partition.
INSERT INTO events (id, created_at, customer_id, kind, payload)
SELECT i,
       timestamptz '2024-01-01 00:00:00+00' + (abs(hashint8(i)) % (385 * 86400)) * interval '1 second',
       1 + abs(hashint8(i * 17)) % :n_customers,
       (ARRAY['login','page.view','cart.add','cart.remove','order.created','email.opened'])[1 + i % 6],
       jsonb_build_object('session', md5(i::text), 'ip', '10.' || i % 256 || '.' || (i / 256) % 256 || '.' || i % 7,
                          'agent', (ARRAY['firefox','chrome','safari','app-ios','app-android'])[1 + i % 5],
                          'value', (abs(hashint8(i * 19)) % 10000) / 100.0)
FROM generate_series(1, :n_events) i;
