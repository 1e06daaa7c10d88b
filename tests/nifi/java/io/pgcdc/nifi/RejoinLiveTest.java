package io.pgcdc.nifi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgcdc.nifi.testkit.MockStateManager;
import io.pgcdc.nifi.testkit.Parameters;
import io.pgcdc.nifi.testkit.Services;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.nifi.components.state.Scope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A table that leaves the included set and comes back, through the NiFi processors (driven as the walkthrough
 * test drives them): app.orders taken out of Included Table Names becomes REMOVED (View State says where it
 * left), is written meanwhile (inserts, updates, deletes, an added column), and once included again is
 * snapshotted again into its destination table: live rows equal the source's, the deleted rows soft-deleted,
 * _SNOWFLAKE_INSERTED_AT of rows already there kept.
 */
class RejoinLiveTest {
    static final String ALL = "app.customers, app.products, app.orders";

    @BeforeAll
    static void setUp() throws Exception {
        WalkthroughLiveTest.pg = PgCluster.start();
        final PgCluster pg = WalkthroughLiveTest.pg;
        final Path examples = Path.of(System.getenv("PGCDC_SOURCE_ROOT"), "examples", "walkthrough");
        pg.sql("postgres", "CREATE DATABASE appdb");
        pg.sql("postgres", "CREATE DATABASE replica_rejoin");
        pg.sql("appdb", Files.readString(examples.resolve("01-test-data.sql")));
        String setup = Files.readString(examples.resolve("02-replication-setup.sql"))
                .replace(":'password'", "'" + WalkthroughLiveTest.PASSWORD + "'");
        if (pg.major < 13) {
            setup = setup.replace("WITH (publish_via_partition_root = true)", "");
        }
        pg.sql("appdb", setup);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (WalkthroughLiveTest.pg != null) {
            WalkthroughLiveTest.pg.close();
        }
    }

    static String sql(final String db, final String q) throws Exception {
        return WalkthroughLiveTest.pg.sql(db, q);
    }

    /** The flow with Included Table Names = names; the capture's cluster state carried over. */
    static WalkthroughLiveTest.Flow flow(final String names, final MockStateManager capture) {
        final Parameters ps = new WalkthroughLiveTest().parameters("rejoin_slot", "replica_rejoin")
                .set("Included Table Names", names);
        final Services s = WalkthroughLiveTest.services(ps);
        final WalkthroughLiveTest.Flow f = new WalkthroughLiveTest.Flow(s);
        if (capture != null) {
            f.capture = WalkthroughLiveTest.runner(new CaptureChangePostgreSQL(), s, capture)
                    .property("Quiet Position Interval", "500 ms");
        }
        return f;
    }

    static void stop(final WalkthroughLiveTest.Flow f) {
        f.stop();
        f.services.disableAll();
    }

    static boolean ordersEqual() throws Exception {
        return WalkthroughLiveTest.liveRows("replica_rejoin", "orders").equals(WalkthroughLiveTest.sourceRows("orders"));
    }

    @Test
    void aTableLeavingTheSetAndComingBackIsSnapshottedAgainIntoItsDestination() throws Exception {
        // 1. Replicating.
        WalkthroughLiveTest.Flow f = flow(ALL, null);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!"INCREMENTAL_REPLICATION".equals(WalkthroughLiveTest.states(f.services).get("app.orders")) || !ordersEqual()) {
            assertTrue(System.nanoTime() < end, "app.orders did not replicate: " + WalkthroughLiveTest.states(f.services));
            f.step();
        }
        final String inserted1 = sql("replica_rejoin", "SELECT \"_SNOWFLAKE_INSERTED_AT\" FROM app.orders WHERE order_id = 1");
        final MockStateManager captureState = f.captureState;
        stop(f);

        // 2. Out of the set: REMOVED in the state and the View State, with where it left.
        f = flow("app.customers, app.products", captureState);
        f.step();
        assertEquals("REMOVED", WalkthroughLiveTest.states(f.services).get("app.orders"));
        final Map<String, String> shown = f.services.stateManager("store").getState(Scope.CLUSTER).toMap();
        final String orders = shown.get("app.orders");
        assertTrue(orders != null && orders.startsWith("REMOVED: left the included set at "), "View State: " + shown);
        assertEquals("t", sql("replica_rejoin", "SELECT left_lsn IS NOT NULL FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" "
                + "WHERE table_name = 'app.orders'"));
        // written while out: inserts, updates, deletes, a column
        sql("appdb", "INSERT INTO app.orders (customer_id, product_id, quantity, status) VALUES (1, 1, 9, 'new'), (2, 2, 8, 'new');"
                + "UPDATE app.orders SET quantity = quantity + 10 WHERE order_id = 2;"
                + "DELETE FROM app.orders WHERE order_id = 3;"
                + "ALTER TABLE app.orders ADD COLUMN note text;"
                + "UPDATE app.orders SET note = 'while out' WHERE order_id = 1;");
        for (int i = 0; i < 3; i++) {
            f.step(); // its changes are read and left out
        }
        assertEquals("REMOVED", WalkthroughLiveTest.states(f.services).get("app.orders"));
        stop(f);

        // 3. Back: snapshotted again into the same destination table.
        f = flow(ALL, captureState);
        end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!"INCREMENTAL_REPLICATION".equals(WalkthroughLiveTest.states(f.services).get("app.orders")) || !ordersEqual()) {
            assertTrue(System.nanoTime() < end, "app.orders did not come back: " + WalkthroughLiveTest.states(f.services)
                    + "\n" + WalkthroughLiveTest.liveRows("replica_rejoin", "orders") + "\nsource:\n"
                    + WalkthroughLiveTest.sourceRows("orders") + "\n" + f.list.logLines() + f.update.logLines());
            f.step();
        }
        assertEquals("3:true", sql("replica_rejoin", "SELECT string_agg(order_id || ':' || \"_SNOWFLAKE_DELETED\", ',' "
                + "ORDER BY order_id) FROM app.orders WHERE \"_SNOWFLAKE_DELETED\""));
        assertEquals(inserted1, sql("replica_rejoin", "SELECT \"_SNOWFLAKE_INSERTED_AT\" FROM app.orders WHERE order_id = 1"));
        // and on as usual
        sql("appdb", "UPDATE app.orders SET note = 'back' WHERE order_id = 2");
        end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!ordersEqual()) {
            assertTrue(System.nanoTime() < end, "a change after the return was not merged");
            f.step();
        }
        stop(f);
    }
}
