package io.pgcdc.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Java API end to end against a live server: a table's snapshot through
 * a snapshot session and chunk fetches, then CDC through the change reader
 * into the destination's journal and merged: source == destination. The
 * batches' bytes are read as the protobuf they are.
 */
class JniLiveTest {
    private static PgCluster pg;

    @BeforeAll
    static void start() throws Exception {
        pg = PgCluster.start(PgCluster.major());
        pg.sql("postgres", "CREATE DATABASE jsrc");
        pg.sql("postgres", "CREATE DATABASE jdst");
        pg.sql("jsrc", "CREATE TABLE t (id int PRIMARY KEY, v text, n int)");
        pg.sql("jsrc", "CREATE PUBLICATION j_pub FOR ALL TABLES");
    }

    @AfterAll
    static void stop() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }

    private static ConnectorConfig config() {
        return new ConnectorConfig()
                .set("PostgreSQL Connection URL", pg.url("jsrc"))
                .set("PostgreSQL Username", "postgres")
                .set("Publication Name", "j_pub")
                .set("Replication Slot Name", "j_slot")
                .set("Destination Connection URL", pg.url("jdst"))
                .set("Destination Username", "postgres")
                .set("Included Table Names", "public.t");
    }

    private static String rows(String db, String table, boolean dest) throws Exception {
        return pg.sql(db, "SELECT count(*) || ' ' || md5(coalesce(string_agg(id || ':' || coalesce(v, '-') || ':' "
                + "|| coalesce(n, 0), ',' ORDER BY id), '')) FROM " + table
                + (dest ? " WHERE NOT coalesce(\"_SNOWFLAKE_DELETED\", false)" : ""));
    }

    /** Polls until quiet, writing and confirming every batch; returns the batches. */
    private static int drain(ChangeReader r, Destination d) {
        int n = 0;
        for (int quiet = 0; quiet < 2;) {
            ChangeBatch b = r.poll(500, 1 << 16);
            if (b == null) {
                quiet++;
                continue;
            }
            List<Proto.Field> f = Proto.parse(b.bytes());
            if (b.transactions() == 0) {
                // a quiet stream's position: no records, written to move the durable position
                assertEquals(0, Proto.all(f, 4).size());
                assertTrue(b.confirmLsn() > 0);
                r.confirm(d.writeJournal(b.bytes()));
                quiet++;
                continue;
            }
            quiet = 0;
            n++;
            assertEquals(1, Proto.first(f, 1), "format_version");
            assertEquals(b.confirmLsn(), Proto.first(f, 3), "confirm_lsn");
            int txns = 0, changes = 0;
            for (byte[] rec : Proto.all(f, 4)) {
                for (byte[] tx : Proto.all(Proto.parse(rec), 1)) {
                    txns++;
                    changes += Proto.all(Proto.parse(tx), 5).size();
                }
            }
            assertEquals(b.transactions(), txns);
            assertEquals(b.changes(), changes);
            assertTrue(b.transactions() > 0 && b.firstLsn() > 0 && b.confirmLsn() >= b.firstLsn(), b.toString());
            long durable = d.writeJournal(b.bytes());
            assertTrue(durable >= b.confirmLsn());
            r.confirm(durable);
        }
        return n;
    }

    @Test
    @SuppressWarnings("try")
    void snapshotThenCdcGivesSourceEqualsDestination() throws Exception {
        pg.sql("jsrc", "INSERT INTO t SELECT g, 'v' || g, g FROM generate_series(1, 2000) g");
        // native log lines reach the sink bound to the thread
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        ChangeReader opened;
        try (ConnectorConfig c = config();
             NativeLog.Binding b = NativeLog.bind((level, msg) -> lines.add(level + " " + msg))) {
            opened = ChangeReader.open(c, "j_slot", 0);
        }
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("INFO created replication slot j_slot")), lines.toString());
        try (ConnectorConfig cfg = config();
             ChangeReader reader = opened;
             Destination dest = Destination.open(cfg)) {
            reader.setIdleInterval(300);
            assertEquals("j_slot", dest.slotName());
            List<TableInfo> tables = dest.tables();
            assertEquals(1, tables.size());
            assertEquals(new TableInfo("public.t", "NEW", 0, 0, null), tables.get(0));
            assertEquals("SNAPSHOT_REPLICATION", dest.prepareTable("public.t"));
            assertEquals("SNAPSHOT_REPLICATION", dest.prepareTable("public.t")); // not NEW: left alone

            long lsn;
            List<byte[]> chunks;
            try (SnapshotSession s = SnapshotSession.begin(cfg)) {
                lsn = s.snapshotLsn();
                assertTrue(lsn > 0);
                assertTrue(!s.snapshotName().isEmpty());
                chunks = s.planChunks("public.t", 2);
                assertTrue(chunks.size() >= 1);
                // changes after the snapshot's point: they come through CDC
                pg.sql("jsrc", "UPDATE t SET v = 'after' WHERE id % 10 = 0");
                pg.sql("jsrc", "DELETE FROM t WHERE id BETWEEN 100 AND 110");
                long rows = 0;
                for (byte[] c : chunks) {
                    ChangeBatch b = SnapshotFetcher.fetchChunk(cfg, c);
                    assertEquals(lsn, b.firstLsn());
                    assertEquals(0, b.confirmLsn());
                    assertEquals(0, b.transactions());
                    List<Proto.Field> f = Proto.parse(b.bytes());
                    List<byte[]> recs = Proto.all(f, 4);
                    assertEquals(1, recs.size());
                    List<byte[]> snap = Proto.all(Proto.parse(recs.get(0)), 3);
                    assertEquals(1, snap.size());
                    List<Proto.Field> sr = Proto.parse(snap.get(0));
                    assertEquals(lsn, Proto.first(sr, 10), "snapshot_lsn");
                    assertEquals(b.changes(), Proto.all(sr, 9).size(), "rows");
                    rows += b.changes();
                    dest.writeJournal(b.bytes());
                }
                assertEquals(2000, rows); // the table as of the snapshot's point
                s.close();
                s.close();
                assertThrows(IllegalStateException.class, s::snapshotLsn);
            }
            // the snapshot is gone with its session: its temporary slot at once, the exported
            // snapshot once the server's walsender has exited
            assertEquals("0", pg.sql("jsrc", "SELECT count(*) FROM pg_replication_slots WHERE temporary"));
            PgcdcException gone = null;
            for (int i = 0; i < 50 && gone == null; i++) {
                try {
                    SnapshotFetcher.fetchChunk(cfg, chunks.get(0));
                    Thread.sleep(100);
                } catch (PgcdcException e) {
                    gone = e;
                }
            }
            assertNotNull(gone, "a chunk of a closed session could still be read");
            assertEquals("ENOTFOUND", gone.code(), gone.getMessage());
            // the changes after the snapshot's point are not written yet: finishing waits for them
            PgcdcException early = assertThrows(PgcdcException.class, () -> dest.finishSnapshot("public.t", lsn));
            assertEquals("ETIMEOUT", early.code());
            assertTrue(early.isInterim());
            for (int i = 0; i < 50; i++) {
                drain(reader, dest);
                try {
                    dest.finishSnapshot("public.t", lsn);
                    break;
                } catch (PgcdcException e) {
                    assertEquals("ETIMEOUT", e.code(), e.getMessage());
                }
            }
            assertEquals("INCREMENTAL_REPLICATION", dest.tables().get(0).state());
            PgcdcException again = assertThrows(PgcdcException.class, () -> dest.finishSnapshot("public.t", lsn));
            assertEquals("EINVAL", again.code());

            drain(reader, dest);
            pg.sql("jsrc", "INSERT INTO t VALUES (5000, 'new', 1)");
            pg.sql("jsrc", "UPDATE t SET id = 6000 WHERE id = 1");
            assertTrue(drain(reader, dest) >= 1);
            dest.merge();
            assertEquals(rows("jsrc", "t", false), rows("jdst", "public.t", true));

            TableInfo t = dest.tables().get(0);
            assertEquals("INCREMENTAL_REPLICATION", t.state());
            assertEquals(2000, t.rowsSnapshotted());
            assertTrue(t.mergedLsn() > lsn);
            assertNull(t.message());
            assertTrue(reader.confirmedLsn() >= dest.durableLsn());
            reader.setIdleInterval(0);
            assertNull(reader.poll(100, 1024)); // nothing new (and no position-only batch)

            PgcdcException notIncluded = assertThrows(PgcdcException.class, () -> dest.prepareTable("public.x"));
            assertEquals("ENOTFOUND", notIncluded.code());
            dest.failTable("public.t", "stopped by a test");
            TableInfo failed = dest.tables().get(0);
            assertEquals("FAILED", failed.state());
            assertEquals("stopped by a test", failed.message());

            reader.close();
            reader.close();
            assertThrows(IllegalStateException.class, () -> reader.poll(1, 1));
            dest.close();
            assertThrows(IllegalStateException.class, dest::merge);
        }
    }

    @Test
    void badSlotNameIsEinval() {
        try (ConnectorConfig cfg = config()) {
            PgcdcException e = assertThrows(PgcdcException.class, () -> ChangeReader.open(cfg, "Not Valid", 0));
            assertEquals("EINVAL", e.code());
            assertNotNull(e.getMessage());
        }
    }
}
