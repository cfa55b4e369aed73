-- bench/snapshot: keys, secondary indexes and foreign keys of the source, built after its rows.
\set ON_ERROR_STOP 1
ALTER TABLE countries    ADD PRIMARY KEY (code);
ALTER TABLE currencies   ADD PRIMARY KEY (code);
ALTER TABLE app_settings ADD PRIMARY KEY (key);
ALTER TABLE bench_marker ADD PRIMARY KEY (name);

ALTER TABLE products ADD PRIMARY KEY (id);
ALTER TABLE products ADD CONSTRAINT products_sku_key UNIQUE (sku);
ALTER TABLE products ADD CONSTRAINT products_currency_fkey FOREIGN KEY (currency) REFERENCES currencies;

ALTER TABLE customers ADD PRIMARY KEY (id);
ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE (email);
ALTER TABLE customers ADD CONSTRAINT customers_country_fkey FOREIGN KEY (country) REFERENCES countries;
CREATE INDEX customers_country_idx ON customers (country);
CREATE INDEX customers_lower_name_idx ON customers (lower(name));
CREATE INDEX customers_profile_tags_idx ON customers USING gin ((profile -> 'tags'));

ALTER TABLE orders ADD PRIMARY KEY (id);
ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers;
ALTER TABLE orders ADD CONSTRAINT orders_currency_fkey FOREIGN KEY (currency) REFERENCES currencies;
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
CREATE INDEX orders_created_at_idx ON orders (created_at);
CREATE INDEX orders_unshipped_idx ON orders (created_at) WHERE shipped_at IS NULL;

ALTER TABLE order_items ADD PRIMARY KEY (order_id, line);
ALTER TABLE order_items ADD CONSTRAINT order_items_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders ON DELETE CASCADE;
ALTER TABLE order_items ADD CONSTRAINT order_items_product_id_fkey FOREIGN KEY (product_id) REFERENCES products;
CREATE INDEX order_items_product_id_idx ON order_items (product_id);

ALTER TABLE events ADD PRIMARY KEY (id, created_at);
ALTER TABLE events ADD CONSTRAINT events_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers;
CREATE INDEX events_customer_id_created_at_idx ON events (customer_id, created_at);
CREATE INDEX events_kind_idx ON events (kind);

SELECT setval(pg_get_serial_sequence('orders', 'id'), (SELECT max(id) FROM orders));
SELECT setval(pg_get_serial_sequence('events', 'id'), (SELECT max(id) FROM events));
