--
-- PostgreSQL database dump
--

\restrict i8LRIjG7ecIvGVtEYMKl2820qIJHBdL0gKkeKHTNAvnc7ahkiq9N1rNbfmbwoSh

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

--
-- Name: Weird "Table".x Weird "Table".x_pkey; Type: CONSTRAINT; Schema: Odd Schema; Owner: -
--

ALTER TABLE ONLY "Odd Schema"."Weird ""Table"".x"
    ADD CONSTRAINT "Weird ""Table"".x_pkey" PRIMARY KEY (id);


--
-- Name: audit audit_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.audit
    ADD CONSTRAINT audit_pkey PRIMARY KEY (id);


SET default_tablespace = ts1;

--
-- Name: big big_pkey; Type: CONSTRAINT; Schema: app; Owner: -; Tablespace: ts1
--

ALTER TABLE ONLY app.big
    ADD CONSTRAINT big_pkey PRIMARY KEY (a);


SET default_tablespace = '';

--
-- Name: customers customers_email_key; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.customers
    ADD CONSTRAINT customers_email_key UNIQUE (email);


--
-- Name: customers customers_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);


--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id, at);


--
-- Name: events_2024 events_2024_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.events_2024
    ADD CONSTRAINT events_2024_pkey PRIMARY KEY (id, at);


--
-- Name: nv nv_check; Type: CHECK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE app.nv
    ADD CONSTRAINT nv_check CHECK ((a > 0)) NOT VALID;


--
-- Name: orders orders_ck; Type: CHECK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE app.orders
    ADD CONSTRAINT orders_ck CHECK ((total >= (0)::numeric)) NOT VALID;


--
-- Name: orders orders_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);


--
-- Name: CONSTRAINT orders_pkey ON orders; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON CONSTRAINT orders_pkey ON app.orders IS 'pk';


--
-- Name: orders orders_total_excl; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.orders
    ADD CONSTRAINT orders_total_excl EXCLUDE USING btree (total WITH =);


--
-- Name: ser ser_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.ser
    ADD CONSTRAINT ser_pkey PRIMARY KEY (id);


--
-- Name: big_a2; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX big_a2 ON app.big USING btree (a);


SET default_tablespace = ts1;

--
-- Name: cust_age; Type: INDEX; Schema: app; Owner: -; Tablespace: ts1
--

CREATE INDEX cust_age ON app.customers USING btree (age);


SET default_tablespace = '';

--
-- Name: events_what; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX events_what ON ONLY app.events USING btree (what);


--
-- Name: events_2024_what_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX events_2024_what_idx ON app.events_2024 USING btree (what);


--
-- Name: mv_id; Type: INDEX; Schema: app; Owner: -
--

CREATE UNIQUE INDEX mv_id ON app.mv USING btree (id);


--
-- Name: orders_customer_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX orders_customer_idx ON app.orders USING btree (customer_id);


--
-- Name: INDEX orders_customer_idx; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON INDEX app.orders_customer_idx IS 'by customer';


--
-- Name: events_2024_pkey; Type: INDEX ATTACH; Schema: app; Owner: -
--

ALTER INDEX app.events_pkey ATTACH PARTITION app.events_2024_pkey;


--
-- Name: events_2024_what_idx; Type: INDEX ATTACH; Schema: app; Owner: -
--

ALTER INDEX app.events_what ATTACH PARTITION app.events_2024_what_idx;


--
-- Name: cust_stats; Type: STATISTICS; Schema: app; Owner: -
--

CREATE STATISTICS app.cust_stats ON id, age FROM app.customers;


--
-- Name: r r_ins; Type: RULE; Schema: app; Owner: -
--

CREATE RULE r_ins AS
    ON INSERT TO app.r DO INSTEAD NOTHING;


--
-- Name: orders orders_touch; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER orders_touch BEFORE UPDATE ON app.orders FOR EACH ROW EXECUTE FUNCTION app.touch();


--
-- Name: Weird "Table".x Weird "Table".x_parent_fkey; Type: FK CONSTRAINT; Schema: Odd Schema; Owner: -
--

ALTER TABLE ONLY "Odd Schema"."Weird ""Table"".x"
    ADD CONSTRAINT "Weird ""Table"".x_parent_fkey" FOREIGN KEY (parent) REFERENCES "Odd Schema"."Weird ""Table"".x"(id);


--
-- Name: event_refs event_refs_id_at_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.event_refs
    ADD CONSTRAINT event_refs_id_at_fkey FOREIGN KEY (id, at) REFERENCES app.events(id, at);


--
-- Name: orders orders_audit_fk; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.orders
    ADD CONSTRAINT orders_audit_fk FOREIGN KEY (audit_id) REFERENCES app.audit(id) ON DELETE SET NULL DEFERRABLE;


--
-- Name: CONSTRAINT orders_audit_fk ON orders; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON CONSTRAINT orders_audit_fk ON app.orders IS 'to audit';


--
-- Name: orders orders_customer_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.orders
    ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES app.customers(id);


--
-- Name: orders; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.orders ENABLE ROW LEVEL SECURITY;

--
-- Name: orders own_orders; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY own_orders ON app.orders USING ((customer_id > 0));


--
-- Name: sluice_ddl; Type: EVENT TRIGGER; Schema: -; Owner: -
--

CREATE EVENT TRIGGER sluice_ddl ON ddl_command_end
   EXECUTE FUNCTION sluice.cap();


--
-- PostgreSQL database dump complete
--

\unrestrict i8LRIjG7ecIvGVtEYMKl2820qIJHBdL0gKkeKHTNAvnc7ahkiq9N1rNbfmbwoSh

