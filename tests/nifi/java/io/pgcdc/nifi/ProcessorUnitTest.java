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
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationResult;
import org.junit.jupiter.api.Test;

/** Processor and service behaviour that needs no server: cron, validation, parameters, routing. */
class ProcessorUnitTest {

    static Instant utc(final int y, final int mo, final int d, final int h, final int mi, final int s) {
        return ZonedDateTime.of(y, mo, d, h, mi, s, 0, ZoneOffset.UTC).toInstant();
    }

    @Test
    void cronFiresOnItsSeconds() {
        final QuartzCron every5min = QuartzCron.parse("0 */5 * * * ?");
        assertFalse(every5min.continuous());
        assertTrue(every5min.firesBetween(utc(2026, 1, 1, 10, 4, 59), utc(2026, 1, 1, 10, 5, 0)));
        assertFalse(every5min.firesBetween(utc(2026, 1, 1, 10, 5, 0), utc(2026, 1, 1, 10, 9, 59)));
        final QuartzCron weekdays = QuartzCron.parse("30 15 2 ? * MON-FRI");
        // 2026-01-03 is a Saturday, 2026-01-05 a Monday.
        assertFalse(weekdays.firesBetween(utc(2026, 1, 3, 0, 0, 0), utc(2026, 1, 4, 23, 59, 59)));
        assertTrue(weekdays.firesBetween(utc(2026, 1, 5, 2, 15, 29), utc(2026, 1, 5, 2, 15, 30)));
        final QuartzCron jan1 = QuartzCron.parse("0 0 0 1 JAN ? 2027");
        assertTrue(jan1.matches(ZonedDateTime.of(2027, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC)));
        assertFalse(jan1.matches(ZonedDateTime.of(2028, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC)));
        assertTrue(QuartzCron.parse("* * * * * ?").continuous());
    }

    @Test
    void cronRefusesWhatItCannotSchedule() {
        for (final String bad : List.of("* * * * *", "0 0 12 L * ?", "0 0 25 * * ?", "0 0 12 ? * ?", "x * * * * ?", "")) {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QuartzCron.parse(bad), bad);
            assertFalse(e.getMessage().isBlank());
        }
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
