package io.pgcdc.nifi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgcdc.jni.Lsn;
import io.pgcdc.jni.TableInfo;
import io.pgcdc.nifi.services.DestinationConnectionService;
import io.pgcdc.nifi.services.PostgreSQLConnectionService;
import io.pgcdc.nifi.services.TableStateStore;
import io.pgcdc.nifi.testkit.MockFlowFile;
import io.pgcdc.nifi.testkit.MockStateManager;
import io.pgcdc.nifi.testkit.Parameters;
import io.pgcdc.nifi.testkit.ProcessorRunner;
import io.pgcdc.nifi.testkit.Services;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.processor.Processor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The walkthrough through the NiFi processors against a real PostgreSQL: 01-test-data.sql and
 * 02-replication-setup.sql, the snapshot (ListTableSnapshotChunks, FetchTableSnapshot, PutJournalRows,
 * UpdateTableState), 03-changes.sql, the CDC stream (CaptureChangePostgreSQL, PutJournalRows,
 * MergeJournalTables) - with a failed commit and a processor restart on the way - and the destination
 * compared with what the CLI (`pgcdc run --until-caught-up`, same steps, another database) wrote.
 */
class WalkthroughLiveTest {
    static PgCluster pg;
    static Path examples;
    static final String PASSWORD = "Secret-1";
    static final List<String> TABLES = List.of("customers", "products", "orders");

    @BeforeAll
    static void setUp() throws Exception {
        pg = PgCluster.start();
        examples = Path.of(System.getenv("PGCDC_SOURCE_ROOT"), "examples", "walkthrough");
        pg.sql("postgres", "CREATE DATABASE appdb");
        pg.sql("postgres", "CREATE DATABASE replica_nifi");
        pg.sql("postgres", "CREATE DATABASE replica_cli");
        pg.sql("postgres", "CREATE DATABASE replica_fail");
        pg.sql("postgres", "CREATE DATABASE replica_big");
        pg.sql("postgres", "CREATE DATABASE replica_order");
        pg.sql("postgres", "CREATE DATABASE replica_refused");
        pg.sql("postgres", "CREATE DATABASE replica_restart");
        pg.sql("appdb", Files.readString(examples.resolve("01-test-data.sql")));
        String setup = Files.readString(examples.resolve("02-replication-setup.sql"))
                .replace(":'password'", "'" + PASSWORD + "'");
        // publish_via_partition_root (the walkthrough sets it) arrived in PostgreSQL 13
        if (pg.major < 13) {
            setup = setup.replace("WITH (publish_via_partition_root = true)", "");
        }
        pg.sql("appdb", setup);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }

    Parameters parameters(final String slot, final String destDb) {
        return new Parameters()
                .set("PostgreSQL Connection URL", "jdbc:postgresql://127.0.0.1:" + pg.port + "/appdb")
                .set("PostgreSQL Username", "openflow_user")
                .set("PostgreSQL Password", PASSWORD)
                .set("Publication Name", "openflow_pub")
                .set("Replication Slot Name", slot)
                .set("Destination Type", "POSTGRESQL")
                .set("Destination Connection URL", "postgresql://127.0.0.1:" + pg.port + "/" + destDb)
                .set("Destination Username", "postgres")
                .set("Destination Password", null)
                .set("Destination Schema Pattern", "${source.schema.name}")
                .set("Included Table Names", "app.customers, app.products, app.orders")
                .set("Included Table Regex", "")
                .set("Column Filter JSON", "")
                .set("Ingestion Type", "full")
                .set("Object Identifier Resolution", "CASE_SENSITIVE")
                .set("Merge Task Schedule CRON", "* * * * * ?")
                .set("Concurrent Snapshot Queries", "2");
    }

    /** The controller services exactly as the flow definition configures them. */
    static Services services(final Parameters ps) {
        final Services s = new Services(ps);
        final Map<String, String> src = new HashMap<>();
        for (final String n : List.of("PostgreSQL Connection URL", "PostgreSQL Username", "PostgreSQL Password",
                "Publication Name", "Replication Slot Name")) {
            src.put(n, "#{" + n + "}");
        }
        s.add("src", new PostgreSQLConnectionService(), src);
        final Map<String, String> dst = new HashMap<>();
        for (final String n : List.of("Destination Type", "Destination Connection URL", "Destination Username",
                "Destination Password", "Destination Schema Pattern")) {
            dst.put(n, "#{" + n + "}");
        }
        s.add("dst", new DestinationConnectionService(), dst);
        final Map<String, String> store = new HashMap<>();
        store.put("PostgreSQL Connection Service", "src");
        store.put("Destination Connection Service", "dst");
        for (final String n : List.of("Included Table Names", "Included Table Regex", "Column Filter JSON",
                "Ingestion Type", "Object Identifier Resolution")) {
            store.put(n, "#{" + n + "}");
        }
        s.add("store", new TableStateStore(), store);
        s.enableAll();
        return s;
    }

    /** A processor of the flow; penalties short (the flow's 30 sec would only slow the test down). */
    static ProcessorRunner runner(final Processor p, final Services s, final MockStateManager state) {
        final ProcessorRunner r = state == null ? new ProcessorRunner(p, s) : new ProcessorRunner(p, s, state);
        r.property("Table State Store", "store").penaltyDuration(200, TimeUnit.MILLISECONDS);
        return r;
    }

    /** The rows of a destination table as JSON text without the timestamps (which differ between runs), in key order. */
    static String rows(final String db, final String table) throws Exception {
        return pg.sql(db, "SELECT coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '') FROM (SELECT to_jsonb(t) "
                + "- '_SNOWFLAKE_INSERTED_AT' - '_SNOWFLAKE_UPDATED_AT' AS x FROM app." + table + " t) s");
    }

    static String sourceRows(final String table) throws Exception {
        return pg.sql("appdb", "SELECT coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '') FROM "
                + "(SELECT to_jsonb(t) AS x FROM app." + table + " t) s");
    }

    static void cli(final String conf) throws Exception {
        final Path f = Files.createTempFile("pgcdc-cli", ".conf");
        try {
            Files.writeString(f, conf);
            final ProcessBuilder pb = new ProcessBuilder(System.getenv("PGCDC_BIN"), "run", "-c", f.toString(), "--until-caught-up");
            pb.environment().put("PGCDC_POSTGRESQL_PASSWORD", PASSWORD);
            pb.redirectErrorStream(true);
            final Process p = pb.start();
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "pgcdc run did not finish");
            assertEquals(0, p.exitValue(), "pgcdc run failed:\n" + out);
        } finally {
            Files.deleteIfExists(f);
        }
    }

    String cliConf() {
        return "[PostgreSQL Source Parameters]\n"
                + "PostgreSQL Connection URL = jdbc:postgresql://127.0.0.1:" + pg.port + "/appdb\n"
                + "PostgreSQL Username = openflow_user\n"
                + "Publication Name = openflow_pub\n"
                + "Replication Slot Name = cli_slot\n"
                + "[PostgreSQL Destination Parameters]\n"
                + "Destination Type = POSTGRESQL\n"
                + "Destination Connection URL = postgresql://127.0.0.1:" + pg.port + "/replica_cli\n"
                + "Destination Username = postgres\n"
                + "Destination Schema Pattern = ${source.schema.name}\n"
                + "[PostgreSQL Ingestion Parameters]\n"
                + "Included Table Names = app.customers, app.products, app.orders\n"
                + "Merge Task Schedule CRON = * * * * * ?\n"
                + "Concurrent Snapshot Queries = 2\n";
    }

    static Map<String, String> states(final Services s) {
        final Map<String, String> m = new HashMap<>();
        for (final TableInfo t : ((TableStateStore) s.getControllerService("store")).tables()) {
            m.put(t.table(), t.state());
        }
        return m;
    }

    /** Moves FlowFiles along the flow's connections (the NiFi queues) and triggers each processor once. */
    static final class Flow {
        final Services services;
        ProcessorRunner capture;
        final ProcessorRunner list, fetch, putSnapshot, update, putCdc, merge, waitState, mark;
        final MockStateManager captureState = new MockStateManager();

        Flow(final Services s) {
            services = s;
            capture = runner(new CaptureChangePostgreSQL(), s, captureState).property("Quiet Position Interval", "500 ms");
            list = runner(new ListTableSnapshotChunks(), s, null).property("Concurrent Snapshot Queries", "#{Concurrent Snapshot Queries}");
            fetch = runner(new FetchTableSnapshot(), s, null);
            putSnapshot = runner(new PutJournalRows(), s, null);
            update = runner(new UpdateTableState(), s, null);
            putCdc = runner(new PutJournalRows(), s, null).fifo();   // the flow gives the CDC batches FIFO
            merge = runner(new MergeJournalTables(), s, null).property("Merge Task Schedule CRON", "#{Merge Task Schedule CRON}");
            waitState = runner(new WaitForTableState(), s, null);
            mark = runner(new MarkTableFailed(), s, null);
        }

        /* Each processor keeps running between steps; what it throws is handled as NiFi's framework does. */
        void step() {
            capture.triggerAsFramework(1);
            putCdc.enqueue(capture.take("success"));
            list.triggerAsFramework(1);
            fetch.enqueue(list.take("success"));
            waitState.enqueue(list.take("tables"));
            drain(fetch);
            putSnapshot.enqueue(fetch.take("success"));
            mark.enqueue(fetch.take("failure"));
            drain(putSnapshot);
            update.enqueue(putSnapshot.take("success"));
            mark.enqueue(putSnapshot.take("failure"));
            // a snapshot waits (rolled back, penalized) until the CDC batches are written past its point
            update.triggerAsFramework(5);
            update.take("success");
            mark.enqueue(update.take("failure"));
            drain(putCdc);
            putCdc.take("success");
            assertTrue(putCdc.take("failure").isEmpty(), "a CDC batch failed: " + putCdc.logLines());
            merge.triggerAsFramework(1);
            waitState.triggerAsFramework(1);
            waitState.enqueue(waitState.take("wait"));
            assertTrue(mark.queued() == 0, "FlowFiles routed to Mark Table Failed: " + fetch.logLines() + putSnapshot.logLines() + update.logLines());
        }

        /* Triggers until its queue is empty (or 10 s: FlowFiles waiting out a penalty are left). */
        static void drain(final ProcessorRunner r) {
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (r.queued() > 0 && System.nanoTime() < end) {
                r.triggerAsFramework(1);
            }
        }

        void stop() {
            for (final ProcessorRunner r : List.of(capture, list, fetch, putSnapshot, update, putCdc, merge, waitState, mark)) {
                r.stop();
            }
        }
    }

    /** Steps the flow until the NiFi destination equals the CLI's (or the time is up). */
    static void stepUntilEqual(final Flow flow, final long seconds) throws Exception {
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            flow.step();
            boolean equal = true;
            for (final String t : TABLES) {
                equal &= rows("replica_nifi", t).equals(rows("replica_cli", t));
            }
            if (equal) {
                return;
            }
            if (System.nanoTime() > end) {
                for (final String t : TABLES) {
                    assertEquals(rows("replica_cli", t), rows("replica_nifi", t), "app." + t + " after " + seconds + " s");
                }
            }
        }
    }

    @Test
    void walkthroughThroughTheProcessorsEqualsTheCli() throws Exception {
        cli(cliConf());
        final Services services = services(parameters("nifi_slot", "replica_nifi"));
        final Flow flow = new Flow(services);

        // 1. Snapshot: every table NEW -> SNAPSHOT_REPLICATION -> INCREMENTAL_REPLICATION, rows as the source.
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!states(services).values().stream().allMatch("INCREMENTAL_REPLICATION"::equals)) {
            assertTrue(System.nanoTime() < end, "tables did not reach INCREMENTAL_REPLICATION: " + states(services));
            flow.step();
        }
        flow.step();
        assertEquals(3, flow.waitState.take("success").size(), "one table FlowFile per table reaches WaitForTableState success");
        // The Table State Store shows the states in its cluster state (NiFi's View State): one entry per table
        // and the time they were read.
        final Map<String, String> shown = services.stateManager("store").getState(Scope.CLUSTER).toMap();
        for (final String t : TABLES) {
            assertEquals("INCREMENTAL_REPLICATION (" + pg.sql("appdb", "SELECT count(*) FROM app." + t) + " rows snapshotted)",
                    shown.get("app." + t), "View State of the Table State Store: " + shown);
        }
        assertEquals(4, shown.size(), shown.toString());
        assertFalse(Instant.parse(shown.get(TableStateStore.REFRESHED_KEY)).isAfter(Instant.now()));
        for (final String t : TABLES) {
            assertEquals(rows("replica_cli", t), rows("replica_nifi", t), "app." + t + " after the snapshot");
            assertFalse(rows("replica_nifi", t).isEmpty());
        }
        assertEquals("0", pg.sql("appdb", "SELECT count(*) FROM pg_replication_slots WHERE temporary"),
                "the snapshot's temporary slot is dropped once every table is replicating");
        // libpgcdc's own log lines reach the logger of the processor that made the call
        assertTrue(flow.capture.logLines().stream().anyMatch(l -> l.startsWith("INFO CaptureChangePostgreSQL[id=") && l.contains("] created replication slot nifi_slot")),
                flow.capture.logLines().toString());

        // 2. The walkthrough's changes, the CLI catches up; a commit of the capture fails once: the batch
        //    is read again from the slot (nothing was confirmed for it).
        pg.sql("appdb", Files.readString(examples.resolve("03-changes.sql")));
        cli(cliConf());
        flow.capture.failCommits(1);
        stepUntilEqual(flow, 60);
        assertTrue(flow.capture.logLines().stream().anyMatch(l -> l.contains("will be read again")), flow.capture.logLines().toString());
        assertEquals("1:false,2:false,3:true,4:false", pg.sql("replica_nifi",
                "SELECT string_agg(order_id || ':' || \"_SNOWFLAKE_DELETED\", ',' ORDER BY order_id) FROM app.orders"));
        assertEquals("27800.00", pg.sql("replica_nifi", "SELECT price FROM app.products WHERE name = 'Monitor'"));

        // The position in the cluster state is the slot's confirmed position.
        final String confirmed = flow.captureState.getState(Scope.CLUSTER).get("confirmed.lsn");
        assertNotNull(confirmed);
        assertEquals("nifi_slot", flow.captureState.getState(Scope.CLUSTER).get("slot.name"));

        // 3. Stop (clean: replication connections closed), more changes, a new processor instance with the
        //    same cluster state resumes from the confirmed position.
        flow.stop();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!pg.sql("appdb", "SELECT active FROM pg_replication_slots WHERE slot_name = 'nifi_slot'").equals("f")) {
            assertTrue(System.nanoTime() < deadline, "the slot is still in use after Stop");
            Thread.sleep(100);
        }
        assertTrue(Lsn.parse(pg.sql("appdb", "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'nifi_slot'"))
                >= Lsn.parse(confirmed), "the slot was confirmed up to the state's position");
        pg.sql("appdb", "INSERT INTO app.customers (name, email) VALUES ('Shiro Ito', 'shiro@example.com');"
                + "UPDATE app.orders SET quantity = 7 WHERE order_id = 1;");
        cli(cliConf());
        flow.capture = runner(new CaptureChangePostgreSQL(), services, flow.captureState).property("Quiet Position Interval", "500 ms");
        stepUntilEqual(flow, 60);
        assertTrue(flow.capture.logLines().stream().anyMatch(l -> l.contains("Reading changes from replication slot nifi_slot")),
                flow.capture.logLines().toString());
        for (final String t : TABLES) {
            final String live = pg.sql("replica_nifi", "SELECT count(*) FROM app." + t + " WHERE NOT \"_SNOWFLAKE_DELETED\"");
            assertEquals(pg.sql("appdb", "SELECT count(*) FROM app." + t), live, "live rows of app." + t);
        }
        assertTrue(sourceRows("customers").contains("Shiro Ito"));
        flow.stop();
        services.disableAll();
        final long d2 = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!pg.sql("appdb", "SELECT count(*) FROM pg_stat_replication").equals("0")) {
            assertTrue(System.nanoTime() < d2, "replication connections left after Stop");
            Thread.sleep(100);
        }
    }

    @Test
    void markTableFailedRecordsWhyAndWaitForTableStateRoutesByState() throws Exception {
        final Services services = services(parameters("nifi_slot2", "replica_fail"));
        try {
            final ProcessorRunner mark = runner(new MarkTableFailed(), services, null);
            mark.enqueue(MockFlowFile.of(new byte[0], Map.of("pgcdc.table", "app.products",
                    "pgcdc.error.message", "chunk refused: test")));
            mark.enqueue(MockFlowFile.of(new byte[0], Map.of()));
            mark.trigger(2);
            assertEquals(1, mark.take("success").size());
            assertEquals(1, mark.take("failure").size());
            // a bulletin on Mark Table Failed names the table and why
            assertTrue(mark.logLines().stream().anyMatch(l -> l.startsWith("ERROR MarkTableFailed[id=")
                    && l.contains("app.products") && l.contains("chunk refused: test")), mark.logLines().toString());
            mark.stop();
            // Marking it failed reached the service's cluster state (View State) without another read.
            final Map<String, String> shown = services.stateManager("store").getState(Scope.CLUSTER).toMap();
            final String products = shown.get("app.products");
            assertTrue(products != null && products.startsWith("FAILED: ") && products.contains("chunk refused: test"),
                    "View State of the Table State Store: " + shown);
            assertEquals("NEW", shown.get("app.customers"), shown.toString());
            assertEquals("NEW", shown.get("app.orders"), shown.toString());
            assertNotNull(shown.get(TableStateStore.REFRESHED_KEY));
            assertEquals("FAILED", states(services).get("app.products"));
            assertTrue(pg.sql("replica_fail", "SELECT message FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" "
                    + "WHERE table_name = 'app.products'").contains("chunk refused: test"));
            final ProcessorRunner wait = runner(new WaitForTableState(), services, null);
            wait.enqueue(MockFlowFile.of(new byte[0], Map.of("pgcdc.table", "app.products")));
            wait.enqueue(MockFlowFile.of(new byte[0], Map.of("pgcdc.table", "app.customers")));
            wait.enqueue(MockFlowFile.of(new byte[0], Map.of("pgcdc.table", "app.nosuch")));
            wait.trigger(1);
            assertEquals(0, wait.take("success").size());
            assertEquals(1, wait.take("wait").size(), "app.customers is NEW: not yet INCREMENTAL_REPLICATION");
            final List<MockFlowFile> failed = wait.take("failure");
            assertEquals(2, failed.size());
            assertTrue(failed.stream().anyMatch(f -> "FAILED".equals(f.getAttribute("pgcdc.table.state"))));
            assertTrue(failed.stream().anyMatch(f -> "NOT_INCLUDED".equals(f.getAttribute("pgcdc.table.state"))));
            wait.stop();
        } finally {
            services.disableAll();
        }
    }

    static String liveRows(final String db, final String table) throws Exception {
        return pg.sql(db, "SELECT coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '') FROM (SELECT to_jsonb(t) "
                + "- '_SNOWFLAKE_INSERTED_AT' - '_SNOWFLAKE_UPDATED_AT' - '_SNOWFLAKE_DELETED' AS x FROM app." + table
                + " t WHERE NOT \"_SNOWFLAKE_DELETED\") s");
    }

    /** Several chunks, fetched out of order while the table changes; a chunk counted twice changes nothing. */
    @Test
    void aLargeTableIsSnapshottedInChunksWhileItChanges() throws Exception {
        pg.sql("appdb", "CREATE TABLE app.big (id integer PRIMARY KEY, v text NOT NULL);"
                + "INSERT INTO app.big SELECT g, md5(g::text) FROM generate_series(1, 20000) g;"
                + "CREATE PUBLICATION big_pub FOR TABLE app.big;");
        final Parameters ps = parameters("big_slot", "replica_big").set("Publication Name", "big_pub")
                .set("Included Table Names", "app.big").set("Concurrent Snapshot Queries", "4");
        final Services services = services(ps);
        final Flow flow = new Flow(services);
        try {
            flow.capture.trigger(1);
            flow.list.trigger(1);
            final List<MockFlowFile> chunks = new java.util.ArrayList<>(flow.list.take("success"));
            assertTrue(chunks.size() >= 2, "expected several chunks, got " + chunks.size());
            assertEquals(Integer.toString(chunks.size()), chunks.get(0).getAttribute("pgcdc.chunk.count"));
            assertEquals("SNAPSHOT_REPLICATION", states(services).get("app.big"));
            // Changes after the snapshot's consistent point, before its rows are read.
            pg.sql("appdb", "UPDATE app.big SET v = 'changed' WHERE id IN (1, 15000);"
                    + "DELETE FROM app.big WHERE id = 2; INSERT INTO app.big VALUES (20001, 'new');");
            java.util.Collections.reverse(chunks);
            flow.fetch.enqueue(chunks);
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                flow.step();
                if ("INCREMENTAL_REPLICATION".equals(states(services).get("app.big"))
                        && liveRows("replica_big", "big").equals(sourceRows("big"))) {
                    break;
                }
                assertTrue(System.nanoTime() < end, "app.big: " + states(services) + " / live rows differ from the source");
            }
            assertEquals("20000", pg.sql("replica_big", "SELECT count(*) FROM app.big WHERE NOT \"_SNOWFLAKE_DELETED\""));
            assertEquals("t", pg.sql("replica_big", "SELECT \"_SNOWFLAKE_DELETED\" FROM app.big WHERE id = 2"));
            // A chunk written twice (a retry after a crash) is counted once: nothing to finish again.
            final MockFlowFile again = MockFlowFile.of(new byte[0], chunks.get(0).getAttributes());
            flow.update.enqueue(again);
            flow.update.trigger(1);
            assertEquals("INCREMENTAL_REPLICATION", flow.update.take("success").get(0).getAttribute("pgcdc.table.state"));
            assertTrue(flow.update.state().getState(Scope.CLUSTER).toMap().isEmpty(), "chunk counts left in the state");
        } finally {
            flow.stop();
            services.disableAll();
        }
    }

    /**
     * Issue 8 item 3: batch N's write fails (the destination restarted under the writer's connection) while
     * batch N+1 waits behind it, and a merge runs before N is written again. N must be written before N+1
     * (retried in place, not penalized behind it); otherwise N lands below the merged position, is never
     * merged, and the destination differs from the source for good.
     */
    @Test
    void aRetriedCdcBatchIsNotOvertakenAcrossADestinationRestart() throws Exception {
        pg.sql("appdb", "CREATE TABLE app.seq (id integer PRIMARY KEY, v integer NOT NULL);"
                + "CREATE PUBLICATION seq_pub FOR TABLE app.seq;");
        // Incremental ingestion: no snapshot to wait for (the table starts empty), the test stays short.
        final Parameters ps = parameters("seq_slot", "replica_order").set("Publication Name", "seq_pub")
                .set("Included Table Names", "app.seq").set("Ingestion Type", "incremental");
        final Services services = services(ps);
        final Flow flow = new Flow(services);
        try {
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!"INCREMENTAL_REPLICATION".equals(states(services).get("app.seq"))) {
                assertTrue(System.nanoTime() < end, "app.seq: " + states(services));
                flow.step();
            }
            flow.step();
            // Batch N (v = 1, id 2 inserted) and batch N+1 (v = 2), captured into Put CDC Journal Rows' queue.
            pg.sql("appdb", "INSERT INTO app.seq VALUES (1, 0); UPDATE app.seq SET v = 1; INSERT INTO app.seq VALUES (2, 1);");
            flow.putCdc.enqueue(captureBatch(flow));
            pg.sql("appdb", "UPDATE app.seq SET v = 2 WHERE id = 1;");
            flow.putCdc.enqueue(captureBatch(flow));
            // The capture is stopped first: a server shutting down waits for its logical walsenders' client to
            // confirm what it was sent (wal_sender_timeout), and the capture is not polled meanwhile.
            flow.capture.stop();
            pg.restart();                              // the writer's and the merger's connections are gone
            flow.putCdc.triggerAsFramework(2);         // N fails (interim) and is retried ...
            flow.merge.triggerAsFramework(2);          // ... while the merge runs (its first try fails too)
            Flow.drain(flow.putCdc);
            flow.putCdc.take("success");
            assertTrue(flow.putCdc.take("failure").isEmpty(), flow.putCdc.logLines().toString());
            final long end2 = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!liveRows("replica_order", "seq").equals(sourceRows("seq"))) {
                assertTrue(System.nanoTime() < end2, "app.seq differs from the source:\n" + liveRows("replica_order", "seq")
                        + "\nsource:\n" + sourceRows("seq") + "\n" + flow.putCdc.logLines());
                flow.step();
            }

            // The destination's guard: a batch that arrives after a later one was merged is refused (interim,
            // it stays queued) instead of being written below the merged position.
            pg.sql("appdb", "UPDATE app.seq SET v = 3 WHERE id = 1;");
            final List<MockFlowFile> early = captureBatch(flow);
            pg.sql("appdb", "UPDATE app.seq SET v = 4 WHERE id = 2;");
            flow.putCdc.enqueue(captureBatch(flow));
            Flow.drain(flow.putCdc);
            flow.merge.triggerAsFramework(1);
            flow.putCdc.enqueue(early);
            flow.putCdc.triggerAsFramework(early.size());
            assertTrue(flow.putCdc.queued() > 0, "the overtaken batch was written: " + flow.putCdc.logLines());
            assertTrue(flow.putCdc.logLines().stream().anyMatch(l -> l.contains("arrived after later batches were "
                    + "already merged")), flow.putCdc.logLines().toString());
        } finally {
            flow.stop();
            services.disableAll();
        }
    }

    /**
     * Issue 12 item 6: a batch the destination refuses for one table fails that table alone; Put Journal Rows
     * logs it at ERROR (a bulletin on that processor) naming the table and sends one FlowFile per failed table
     * to 'failed tables' (the flow routes it to the funnel), the batch itself to success.
     */
    @Test
    void aTableABatchFailsGoesToFailedTablesWithAnErrorBulletin() throws Exception {
        pg.sql("appdb", "CREATE TABLE app.ok_t (id integer PRIMARY KEY, v text);"
                + "CREATE TABLE app.bad_t (id integer PRIMARY KEY, v text);"
                + "CREATE PUBLICATION refused_pub FOR TABLE app.ok_t, app.bad_t;");
        final Parameters ps = parameters("refused_slot", "replica_refused").set("Publication Name", "refused_pub")
                .set("Included Table Names", "app.ok_t, app.bad_t").set("Ingestion Type", "incremental");
        final Services services = services(ps);
        final Flow flow = new Flow(services);
        try {
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!"INCREMENTAL_REPLICATION".equals(states(services).get("app.bad_t"))
                    || !"INCREMENTAL_REPLICATION".equals(states(services).get("app.ok_t"))) {
                assertTrue(System.nanoTime() < end, states(services).toString());
                flow.step();
            }
            flow.step();
            pg.sql("appdb", "INSERT INTO app.ok_t VALUES (1, 'a'); INSERT INTO app.bad_t VALUES (1, 'a');");
            while (!"2".equals(pg.sql("replica_refused", "SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = 'app' "
                    + "AND tablename IN ('ok_t', 'bad_t'))"))
                    || !liveRows("replica_refused", "bad_t").equals(sourceRows("bad_t"))
                    || !liveRows("replica_refused", "ok_t").equals(sourceRows("ok_t"))) {
                assertTrue(System.nanoTime() < end, "not replicated: " + states(services));
                flow.step();
            }
            // The destination refuses bad_t's rows from now on (a constraint on its journal tables).
            for (final String j : pg.sql("replica_refused", "SELECT string_agg(quote_ident(tablename), ' ') FROM "
                    + "pg_tables WHERE schemaname = 'app' AND tablename ILIKE 'bad_t%journal%'").split(" ")) {
                pg.sql("replica_refused", "ALTER TABLE app." + j + " ADD CONSTRAINT no_poison CHECK (v IS DISTINCT FROM 'poison')");
            }
            pg.sql("appdb", "BEGIN; INSERT INTO app.bad_t VALUES (2, 'poison'); INSERT INTO app.ok_t VALUES (2, 'b'); COMMIT;");
            flow.putCdc.enqueue(captureBatch(flow));
            Flow.drain(flow.putCdc);
            final List<MockFlowFile> failed = flow.putCdc.take("failed tables");
            assertEquals(1, failed.size(), flow.putCdc.logLines().toString());
            assertEquals("app.bad_t", failed.get(0).getAttribute("pgcdc.failed.table"));
            assertEquals(0, failed.get(0).getSize());
            assertTrue(flow.putCdc.take("success").stream().anyMatch(f -> "app.bad_t".equals(f.getAttribute("pgcdc.failed.tables"))));
            assertTrue(flow.putCdc.logLines().stream().anyMatch(l -> l.startsWith("ERROR PutJournalRows[id=")
                    && l.contains("app.bad_t")), flow.putCdc.logLines().toString());
            assertEquals("FAILED", states(services).get("app.bad_t"));
            // the rest of the batch was written
            final long end2 = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!liveRows("replica_refused", "ok_t").equals(sourceRows("ok_t"))) {
                assertTrue(System.nanoTime() < end2, "app.ok_t differs from the source");
                flow.step();
            }
        } finally {
            flow.stop();
            services.disableAll();
        }
    }

    /**
     * Issue 12 item 6: the source restarts during a chunked snapshot while NiFi keeps running. The session's
     * exported snapshot is gone; its remaining chunks are dropped and the table's snapshot is taken again
     * without a NiFi restart: the destination equals the source.
     */
    @Test
    void aSnapshotWhoseSessionDiesWithTheSourceIsTakenAgain() throws Exception {
        pg.sql("appdb", "CREATE TABLE app.rs (id integer PRIMARY KEY, v text NOT NULL);"
                + "INSERT INTO app.rs SELECT g, md5(g::text) FROM generate_series(1, 20000) g;"
                + "CREATE PUBLICATION rs_pub FOR TABLE app.rs;");
        final Parameters ps = parameters("rs_slot", "replica_restart").set("Publication Name", "rs_pub")
                .set("Included Table Names", "app.rs").set("Concurrent Snapshot Queries", "4");
        final Services services = services(ps);
        final Flow flow = new Flow(services);
        try {
            flow.capture.trigger(1);
            flow.list.trigger(1);
            final List<MockFlowFile> chunks = new java.util.ArrayList<>(flow.list.take("success"));
            assertTrue(chunks.size() >= 2, "expected several chunks, got " + chunks.size());
            // one chunk read before the restart, the others after it
            flow.fetch.enqueue(chunks.get(0));
            Flow.drain(flow.fetch);
            flow.putSnapshot.enqueue(flow.fetch.take("success"));
            Flow.drain(flow.putSnapshot);
            flow.update.enqueue(flow.putSnapshot.take("success"));
            flow.capture.stop();   // a walsender's shutdown waits for its client (see the test above)
            pg.restart();
            pg.sql("appdb", "UPDATE app.rs SET v = 'after' WHERE id IN (3, 19999); DELETE FROM app.rs WHERE id = 4;");
            flow.fetch.enqueue(chunks.subList(1, chunks.size()));
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            while (!"INCREMENTAL_REPLICATION".equals(stateAfterRestart(services, "app.rs"))
                    || !liveRows("replica_restart", "rs").equals(sourceRows("rs"))) {
                assertTrue(System.nanoTime() < end, "app.rs: " + stateAfterRestart(services, "app.rs")
                        + " / live rows differ from the source; " + flow.fetch.logLines() + flow.list.logLines());
                flow.step();
            }
            assertTrue(flow.fetch.logLines().stream().anyMatch(l -> l.contains("is taken again")), flow.fetch.logLines().toString());
            assertEquals("19999", pg.sql("replica_restart", "SELECT count(*) FROM app.rs WHERE NOT \"_SNOWFLAKE_DELETED\""));
        } finally {
            flow.stop();
            services.disableAll();
        }
    }

    /* A table's state; the store's first read after a restart may meet its connection closed (it reconnects). */
    static String stateAfterRestart(final Services s, final String table) {
        try {
            return states(s).get(table);
        } catch (final io.pgcdc.jni.PgcdcException e) {
            return e.getMessage();
        }
    }

    /* Triggers the capture until it emits a batch with changes; returns what it emitted (position-only
     * batches of a quiet stream included, in order). */
    static List<MockFlowFile> captureBatch(final Flow flow) {
        final List<MockFlowFile> out = new java.util.ArrayList<>();
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (out.stream().noneMatch(f -> !"0".equals(f.getAttribute("pgcdc.changes")))) {
            assertTrue(System.nanoTime() < end, "no batch captured: " + flow.capture.logLines());
            flow.capture.triggerAsFramework(1);
            out.addAll(flow.capture.take("success"));
        }
        return out;
    }
}
