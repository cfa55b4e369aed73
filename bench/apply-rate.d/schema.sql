-- bench/apply-rate: the schema, identical on the source and both targets, with the same seed rows
-- (the targets must hold the rows as of the slots' creation; there is no snapshot step yet).
CREATE TABLE customers (
    id         bigint PRIMARY KEY,
    email      text NOT NULL UNIQUE,
    name       text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE orders (
    id          bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers,
    total       numeric(12,2) NOT NULL,
    status      text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX orders_customer_id_idx ON orders (customer_id);

CREATE TABLE order_items (
    order_id bigint NOT NULL REFERENCES orders,
    line     int NOT NULL,
    sku      text NOT NULL,
    qty      int NOT NULL,
    PRIMARY KEY (order_id, line)
);

-- Measurement helpers, replicated like the rest: a marker row tells when a consumer has applied
-- everything written before it; heartbeats time the lag test.
CREATE TABLE bench_marker (
    name text PRIMARY KEY,
    at   timestamptz NOT NULL
);
CREATE TABLE bench_heartbeat (
    id bigint PRIMARY KEY,
    ts timestamptz NOT NULL
);

-- Only the workload on the source draws from these; sequences are not replicated.
CREATE SEQUENCE customers_id_seq START 10001;
CREATE SEQUENCE orders_id_seq START 10001;

-- One workload transaction: 8 row changes, 5 inserts over the three tables and 3 updates (the new
-- order, a seed customer c, a seed order o). A function, so that the load generator needs one round
-- trip per transaction and leaves the CPU to the consumers; the WAL is the same as from statements.
CREATE FUNCTION bench_txn(c bigint, o bigint, q int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    new_customer bigint := nextval('customers_id_seq');
    new_order    bigint := nextval('orders_id_seq');
BEGIN
    INSERT INTO customers (id, email, name, created_at)
    VALUES (new_customer, 'c' || new_customer || '@example.com', 'Customer ' || new_customer, now());
    INSERT INTO orders (id, customer_id, total, status, created_at)
    VALUES (new_order, new_customer, 0, 'new', now());
    INSERT INTO order_items (order_id, line, sku, qty)
    VALUES (new_order, 1, 'SKU-' || (new_order % 997), q),
           (new_order, 2, 'SKU-' || (new_order % 991), q + 1),
           (new_order, 3, 'SKU-' || (new_order % 983), q + 2);
    UPDATE orders SET total = (3 * q + 3) * 9.99, status = 'placed' WHERE id = new_order;
    UPDATE customers SET name = 'Customer ' || id || ' rev ' || q WHERE id = c;
    UPDATE orders SET status = 'shipped', total = total + 1 WHERE id = o;
END $$;

-- 10,000 customers with one order of three items each, deterministic so the three servers start
-- identical (and every table has statistics before the load, so the load's plans stay index scans).
INSERT INTO customers
SELECT i, 'seed' || i || '@example.com', 'Seed customer ' || i,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute'
FROM generate_series(1, 10000) i;

INSERT INTO orders
SELECT i, i, (i % 500) + 0.99, 'placed',
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute'
FROM generate_series(1, 10000) i;

INSERT INTO order_items
SELECT i, l, 'SKU-' || ((i * l) % 997), l
FROM generate_series(1, 10000) i, generate_series(1, 3) l;

VACUUM ANALYZE;
