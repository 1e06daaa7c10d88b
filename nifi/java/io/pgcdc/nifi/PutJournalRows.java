package io.pgcdc.nifi;

import io.pgcdc.jni.Destination;
import io.pgcdc.jni.Lsn;
import io.pgcdc.jni.PgcdcException;
import io.pgcdc.nifi.services.TableStateStoreService;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.lifecycle.OnStopped;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;

/**
 * Writes ChangeBatch FlowFiles (CDC batches or snapshot chunks) into the journal tables, each in one
 * destination transaction together with the durable source position. CDC batches must be written in
 * the order they were read (the merge skips rows below what it merged): give CDC batches a connection
 * with the FIFO prioritizer and one concurrent task; snapshot chunks may be written concurrently. A
 * batch that cannot be written for now is rolled back unpenalized (it keeps its place) and the processor
 * yields; a CDC batch is never sent to failure (the batches after it would pass it), and one that
 * arrives after later batches were merged is refused by the destination (as interim: it stays in the
 * queue, the log says why) instead of being written where no merge reads it.
 */
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@Tags({"pgcdc", "postgresql", "journal", "cdc", "snapshot"})
@CapabilityDescription("Writes pgcdc.v1.ChangeBatch FlowFiles into the destination's journal tables "
        + "(<TABLE>_JOURNAL_<epoch>_<n>) with COPY, in one transaction with the durable source position.")
@WritesAttributes({
        @WritesAttribute(attribute = "pgcdc.durable.lsn", description = "The durable source position after the write"),
        @WritesAttribute(attribute = "pgcdc.failed.tables", description = "Tables the destination refused (a value it "
                + "cannot hold, a schema change it cannot follow): moved to FAILED alone, the rest of the batch written"),
        @WritesAttribute(attribute = "pgcdc.failed.table", description = "On failed tables: the table this FlowFile "
                + "reports"),
        @WritesAttribute(attribute = "pgcdc.error.code", description = "On failure: the pgcdc error code"),
        @WritesAttribute(attribute = "pgcdc.error.message", description = "On failure: what is wrong")})
public class PutJournalRows extends AbstractProcessor {

    public static final PropertyDescriptor TABLE_STATE_STORE = Common.TABLE_STATE_STORE;
    public static final Relationship SUCCESS = new Relationship.Builder().name("success")
            .description("Batches written to the journal (content unchanged).").build();
    public static final Relationship FAILURE = Common.FAILURE;
    public static final Relationship FAILED_TABLES = new Relationship.Builder().name("failed tables")
            .description("One FlowFile (no content, the batch's attributes) per table the destination refused in a "
                    + "batch that was otherwise written: pgcdc.failed.table names it. The table is FAILED in the "
                    + "Table State Store already; route this where someone looks.").build();

    /** On a FlowFile of failed tables: the one table it reports. */
    static final String A_FAILED_TABLE = "pgcdc.failed.table";

    /* One destination connection per concurrent task, reused between triggers. */
    private final ConcurrentLinkedQueue<Destination> idle = new ConcurrentLinkedQueue<>();

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return Common.STORE_ONLY;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(SUCCESS, FAILURE, FAILED_TABLES);
    }

    @Override
    @SuppressWarnings("try") // the native-log binding is only closed
    public void onTrigger(final ProcessContext context, final ProcessSession session) throws ProcessException {
        FlowFile ff = session.get();
        if (ff == null) {
            return;
        }
        final TableStateStoreService store = Common.store(context);
        final byte[] batch = Common.content(session, ff);
        Destination dest = null;
        final long durable;
        final List<String> failedTables;
        try (io.pgcdc.jni.NativeLog.Binding log = Common.nativeLog(getLogger())) {
            dest = idle.poll();
            if (dest == null) {
                dest = store.openDestination();
            }
            durable = dest.writeJournal(batch);
            failedTables = dest.lastWriteFailures();
        } catch (final PgcdcException e) {
            if (dest != null) {
                dest.close();
            }
            if (e.isInterim()) {
                // Not penalized: a penalized FlowFile sorts behind every other one, even under FIFO, and the
                // next batch would be written (and merged) first. Rolled back unpenalized it keeps its place.
                getLogger().warn("Writing journal rows failed, will retry: {}", e.getMessage());
                session.rollback();
                context.yield();
                return;
            }
            if (Common.KIND_CDC.equals(ff.getAttribute(Common.A_KIND))) {
                // A CDC batch never goes to failure: the batches after it would be written and merged while
                // it waits there, and it could never be merged afterwards. It stays at the head of the queue
                // (the flow stops here, the bulletin says why) until the cause is removed.
                getLogger().error("Writing a CDC batch failed; it stays in the queue and is tried again (later "
                        + "batches wait behind it): {}", e.getMessage());
                session.rollback();
                context.yield();
                return;
            }
            getLogger().error("Writing journal rows failed: {}", e.getMessage());
            ff = session.putAllAttributes(ff, Common.errorAttributes(e));
            session.transfer(session.penalize(ff), FAILURE);
            return;
        }
        idle.add(dest);
        ff = session.putAttribute(ff, Common.A_DURABLE_LSN, Lsn.format(durable));
        if (!failedTables.isEmpty()) {
            // those tables went to FAILED alone (the native log line says why); the rest is written. Logged
            // at ERROR (a bulletin on this component) and one FlowFile each to 'failed tables'.
            getLogger().error("Tables failed while writing a batch (the other tables' rows are written): {}", failedTables);
            ff = session.putAttribute(ff, Common.A_FAILED_TABLES, String.join(",", failedTables));
            for (final String table : failedTables) {
                FlowFile f = session.create(ff);
                f = session.putAttribute(f, A_FAILED_TABLE, table);
                session.transfer(f, FAILED_TABLES);
            }
        }
        if (!failedTables.isEmpty() || Common.KIND_SNAPSHOT.equals(ff.getAttribute(Common.A_KIND))) {
            // This write changed states behind the Table State Store (FAILED tables, rows snapshotted):
            // show them in its state. A CDC batch reports every table it failed, except one whose shape could
            // not be read when its first change arrived: the store's next read (a merge, or List Table
            // Snapshot Chunks every 10 s) shows that one.
            store.refreshStates();
        }
        session.transfer(ff, SUCCESS);
    }

    @OnStopped
    public void onStopped() {
        Destination d;
        while ((d = idle.poll()) != null) {
            d.close();
        }
    }
}
