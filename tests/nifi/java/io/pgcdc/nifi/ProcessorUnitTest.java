package io.pgcdc.nifi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgcdc.nifi.services.PostgreSQLConnectionService;
import io.pgcdc.nifi.testkit.MockFlowFile;
import io.pgcdc.nifi.testkit.Parameters;
import io.pgcdc.nifi.testkit.ProcessorRunner;
import io.pgcdc.nifi.testkit.Services;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationResult;
import org.junit.jupiter.api.Test;

/** Processor and service behaviour that needs no server: cron, validation, parameters, routing. */
class ProcessorUnitTest {

    /** The table of expressions the C parser is tested with (tests/ingest/cron_table.txt), through JNI. */
    @Test
    void cronAcceptsAndFiresExactlyAsTheCli() throws Exception {
        final java.nio.file.Path table = java.nio.file.Path.of(System.getenv("PGCDC_SOURCE_ROOT"), "tests", "ingest",
                "cron_table.txt");
        int rows = 0;
        for (final String line : java.nio.file.Files.readAllLines(table)) {
            if (line.startsWith("#") || !line.contains("|")) {
                continue;
            }
            final String[] f = line.split("\\|");
            final String expr = f[0].trim();
            final Instant after = Instant.parse(f[1].trim());
            final String want = f[2].trim();
            rows++;
            final ProcessorRunner r = new ProcessorRunner(new MergeJournalTables(), new Services(new Parameters()));
            r.property("Table State Store", "none").property("Merge Task Schedule CRON", expr);
            final boolean valid = r.validate().stream().noneMatch(v -> v.getSubject().equals("Merge Task Schedule CRON"));
            if (want.equals("invalid")) {
                assertFalse(valid, expr + " accepted");
                assertThrows(io.pgcdc.jni.PgcdcException.class, () -> io.pgcdc.jni.CronSchedule.parse(expr), expr);
                continue;
            }
            assertTrue(valid, expr + " refused: " + r.validate());
            final io.pgcdc.jni.CronSchedule c = io.pgcdc.jni.CronSchedule.parse(expr);
            assertEquals(Instant.parse(want).getEpochSecond(), c.nextAfter(after.getEpochSecond()), expr + " after " + after);
            assertTrue(c.firesBetween(after, Instant.parse(want)), expr);
            assertFalse(c.firesBetween(after, Instant.parse(want).minusSeconds(1)), expr);
        }
        assertTrue(rows >= 10, "rows read from " + table);
        assertTrue(io.pgcdc.jni.CronSchedule.parse("* * * * * ?").continuous());
        assertFalse(io.pgcdc.jni.CronSchedule.parse("0 */5 * * * ?").continuous());
    }

    @Test
    void cronMessageNamesTheField() {
        final ProcessorRunner r = new ProcessorRunner(new MergeJournalTables(), new Services(new Parameters()));
        r.property("Table State Store", "none").property("Merge Task Schedule CRON", "0 0 25 * * ?");
        final Collection<ValidationResult> errors = r.validate();
        assertTrue(errors.stream().anyMatch(v -> v.getSubject().equals("Merge Task Schedule CRON")
                && v.getExplanation().contains("hours")), errors.toString());
    }

    @Test
    void everyPropertyHasADescriptionAndAValidator() throws Exception {
        for (final String c : List.of("CaptureChangePostgreSQL", "ListTableSnapshotChunks", "FetchTableSnapshot",
                "PutJournalRows", "MergeJournalTables", "UpdateTableState", "WaitForTableState", "MarkTableFailed",
                "services.PostgreSQLConnectionService", "services.DestinationConnectionService", "services.TableStateStore")) {
            final org.apache.nifi.components.ConfigurableComponent comp = (org.apache.nifi.components.ConfigurableComponent)
                    Class.forName("io.pgcdc.nifi." + c).getConstructor().newInstance();
            for (final PropertyDescriptor d : comp.getPropertyDescriptors()) {
                assertFalse(d.getDescription().isBlank(), c + " / " + d.getName() + " has no description");
                assertTrue(!d.getValidators().isEmpty() || d.getAllowableValues() != null
                        || d.getControllerServiceDefinition() != null, c + " / " + d.getName() + " has no validator");
            }
        }
    }

    @Test
    void sourceServiceValidatesWithTheNativeParserAndDerivesASlotName() {
        final Parameters ps = new Parameters().set("URL", "jdbc:mysql://x/y").set("Password", null);
        final Services s = new Services(ps);
        s.add("0a1b2c3d-0000-4000-8000-00000000abcd", new PostgreSQLConnectionService(), Map.of(
                "PostgreSQL Connection URL", "#{URL}", "PostgreSQL Password", "#{Password}", "Publication Name", "pub",
                "Replication Slot Name", "Bad-Name"));
        final Collection<ValidationResult> errors = s.validate("0a1b2c3d-0000-4000-8000-00000000abcd");
        assertTrue(errors.stream().anyMatch(e -> e.getSubject().equals("PostgreSQL Connection URL")), errors.toString());
        assertTrue(errors.stream().anyMatch(e -> e.getSubject().equals("Replication Slot Name")), errors.toString());

        ps.set("URL", "jdbc:postgresql://127.0.0.1:5432/appdb");
        final Services ok = new Services(ps);
        final PostgreSQLConnectionService svc = ok.add("0a1b2c3d-0000-4000-8000-00000000abcd", new PostgreSQLConnectionService(),
                Map.of("PostgreSQL Connection URL", "#{URL}", "PostgreSQL Password", "#{Password}", "Publication Name", "pub"));
        ok.enableAll();
        assertEquals("pgcdc_0a1b2c3d000040008000" + "00000000abcd", svc.getSlotName());
        assertTrue(svc.getSlotName().length() <= 63);
    }

    /** NiFi keeps a parameter whose value is "" as ""; an optional property left so is unset, as in the CLI. */
    @Test
    void blankOptionalPropertiesAreUnset() {
        final Parameters ps = new Parameters().set("Empty", "");
        final Services s = new Services(ps);
        final String id = "0a1b2c3d-0000-4000-8000-00000000abcd";
        final PostgreSQLConnectionService svc = s.add(id, new PostgreSQLConnectionService(), Map.of(
                "PostgreSQL Connection URL", "jdbc:postgresql://127.0.0.1:5432/appdb?user=u", "PostgreSQL Username", "#{Empty}",
                "PostgreSQL Password", "#{Empty}", "Publication Name", "pub", "Replication Slot Name", "#{Empty}"));
        s.add("dst", new io.pgcdc.nifi.services.DestinationConnectionService(), Map.of(
                "Destination Type", "POSTGRESQL", "Destination Connection URL", "postgresql://u@127.0.0.1/db",
                "Destination Username", "#{Empty}", "Destination Password", "#{Empty}", "Destination Database", "#{Empty}"));
        assertTrue(s.validate(id).isEmpty(), s.validate(id).toString());
        assertTrue(s.validate("dst").isEmpty(), s.validate("dst").toString());
        s.enableAll();
        assertEquals("pgcdc_0a1b2c3d000040008000" + "00000000abcd", svc.getSlotName());
    }

    @Test
    void unknownParameterMakesTheComponentInvalid() {
        final Services s = new Services(new Parameters());
        final ProcessorRunner r = new ProcessorRunner(new ListTableSnapshotChunks(), s);
        r.property("Table State Store", "x").property("Concurrent Snapshot Queries", "#{Concurrent Snapshot Queries}");
        assertFalse(r.validate().isEmpty());
        // the unknown parameter is what is reported (not only the missing service)
        assertTrue(r.validate().stream().anyMatch(e -> e.getSubject().equals("#{Concurrent Snapshot Queries}")));
        final ProcessorRunner r2 = new ProcessorRunner(new ListTableSnapshotChunks(), s);
        r2.property("Table State Store", "x").property("Concurrent Snapshot Queries", "65");
        assertTrue(r2.validate().stream().anyMatch(e -> e.getSubject().equals("Concurrent Snapshot Queries")));
    }

    @Test
    void anInvalidProcessorIsNotScheduled() {
        final ProcessorRunner r = new ProcessorRunner(new MarkTableFailed(), new Services(new Parameters()));
        r.property("Table State Store", "no-such-service");
        r.enqueue(MockFlowFile.of(new byte[0], Map.of("pgcdc.table", "app.t")));
        final IllegalStateException e = assertThrows(IllegalStateException.class, () -> r.trigger(1));
        assertTrue(e.getMessage().contains("Table State Store"), e.getMessage());
        assertEquals(1, r.queued(), "nothing was taken from the queue");
    }
}
