-- bench/apply-rate: row count and md5 of every replicated table's rows in key order.
SELECT 'customers', count(*), md5(coalesce(string_agg(t::text, E'\n' ORDER BY id), '')) FROM customers t
UNION ALL
SELECT 'orders', count(*), md5(coalesce(string_agg(t::text, E'\n' ORDER BY id), '')) FROM orders t
UNION ALL
SELECT 'order_items', count(*), md5(coalesce(string_agg(t::text, E'\n' ORDER BY order_id, line), '')) FROM order_items t
UNION ALL
SELECT 'bench_heartbeat', count(*), md5(coalesce(string_agg(t::text, E'\n' ORDER BY id), '')) FROM bench_heartbeat t
UNION ALL
SELECT 'bench_marker', count(*), md5(coalesce(string_agg(t::text, E'\n' ORDER BY name), '')) FROM bench_marker t
ORDER BY 1;
