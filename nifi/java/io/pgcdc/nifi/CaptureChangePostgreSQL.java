package io.pgcdc.nifi;

import io.pgcdc.jni.ChangeBatch;
import io.pgcdc.jni.ChangeReader;
import io.pgcdc.jni.ConnectorConfig;
import io.pgcdc.jni.Lsn;
import io.pgcdc.jni.PgcdcException;
import io.pgcdc.nifi.services.TableStateStoreService;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.PrimaryNodeOnly;
import org.apache.nifi.annotation.behavior.Stateful;
import org.apache.nifi.annotation.behavior.TriggerSerially;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.lifecycle.OnStopped;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.components.state.StateManager;
import org.apache.nifi.components.state.StateMap;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.processor.util.StandardValidators;

/**
 * Reads the CDC stream of the replication slot and emits one FlowFile per ChangeBatch (complete
 * transactions, protobuf pgcdc.v1.ChangeBatch). The slot is confirmed up to a batch only in the success
 * callback of the session commit that put the batch's FlowFile into NiFi's repository: a batch lost
 * before that is read again from the slot.
 */
@PrimaryNodeOnly
@TriggerSerially
@InputRequirement(InputRequirement.Requirement.INPUT_FORBIDDEN)
@Stateful(scopes = Scope.CLUSTER, description = "slot.name: the replication slot read; confirmed.lsn: the position "
        + "up to which the slot has been confirmed (every batch before it is committed to NiFi). After a restart or a "
        + "primary node change, reading resumes there.")
@Tags({"pgcdc", "postgresql", "cdc", "change data capture", "logical replication", "pgoutput"})
@CapabilityDescription("Reads the changes of the tables of the publication from the PostgreSQL replication slot "
        + "(pgoutput) and emits them as FlowFiles of complete transactions (pgcdc.v1.ChangeBatch); a transaction "
        + "larger than Max FlowFile Bytes comes in fragments. The slot is created if it does not exist and "
        + "confirmed only after the FlowFile is committed, never inside a transaction.")
@WritesAttributes({
        @WritesAttribute(attribute = "pgcdc.kind", description = "cdc"),
        @WritesAttribute(attribute = "pgcdc.slot.name", description = "The replication slot"),
        @WritesAttribute(attribute = "pgcdc.first.lsn", description = "LSN of the first change of the batch"),
        @WritesAttribute(attribute = "pgcdc.confirm.lsn", description = "End LSN of the last transaction of the batch"),
        @WritesAttribute(attribute = "pgcdc.transactions", description = "Transactions in the batch"),
        @WritesAttribute(attribute = "pgcdc.changes", description = "Row changes in the batch"),
        @WritesAttribute(attribute = "mime.type", description = "application/x-protobuf; messageType=pgcdc.v1.ChangeBatch")})
public class CaptureChangePostgreSQL extends AbstractProcessor {

    static final String STATE_SLOT = "slot.name";
    static final String STATE_CONFIRMED = "confirmed.lsn";

    public static final PropertyDescriptor TABLE_STATE_STORE = Common.TABLE_STATE_STORE;
    public static final PropertyDescriptor POLL_TIMEOUT = new PropertyDescriptor.Builder()
            .name("Poll Timeout").displayName("Poll Timeout")
            .description("How long one trigger waits for a complete transaction before returning.")
            .required(true)
            .defaultValue("1 sec")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();
    public static final PropertyDescriptor MAX_BATCH_BYTES = new PropertyDescriptor.Builder()
            .name("Max Batch Bytes").displayName("Max Batch Bytes")
            .description("A batch is cut between transactions once its encoding reaches this size (a larger "
                    + "transaction is kept whole up to Max FlowFile Bytes, then cut into fragments).")
            .required(true)
            .defaultValue("8388608")
            .addValidator(StandardValidators.createLongValidator(1024, 1L << 30, true))
            .build();

    public static final PropertyDescriptor QUIET_POSITION_INTERVAL = new PropertyDescriptor.Builder()
            .name("Quiet Position Interval").displayName("Quiet Position Interval")
            .description("While the stream is quiet (no change of a replicated table), a FlowFile without records "
                    + "carrying the position the server has sent up to is emitted this often (when it moved). "
                    + "Written by PutJournalRows it moves the durable position: a table's snapshot is finished "
                    + "only once that position passed the snapshot's point, and the slot does not hold WAL back.")
            .required(true)
            .defaultValue("10 sec")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    public static final Relationship SUCCESS = new Relationship.Builder().name("success")
            .description("One FlowFile per batch of complete transactions (or, on a quiet stream, a position "
                    + "without records: pgcdc.transactions = 0).").build();

    public static final PropertyDescriptor MAX_FLOWFILE_BYTES = Common.MAX_FLOWFILE_BYTES;

    private static final List<PropertyDescriptor> PROPERTIES = List.of(TABLE_STATE_STORE, POLL_TIMEOUT, MAX_BATCH_BYTES,
            QUIET_POSITION_INTERVAL, MAX_FLOWFILE_BYTES);

    private volatile ChangeReader reader;
    private volatile String slot;
    /* Set when a commit failed: the stream has gone past batches NiFi does not have; read again from the slot. */
    private volatile boolean reopen;

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(SUCCESS);
    }

    @Override
    @SuppressWarnings("try") // the native-log binding is only closed
    public void onTrigger(final ProcessContext context, final ProcessSession session) throws ProcessException {
        if (reopen) {
            closeReader();
            reopen = false;
        }
        final ChangeReader r;
        final ChangeBatch batch;
        try (io.pgcdc.jni.NativeLog.Binding log = Common.nativeLog(getLogger())) {
            r = reader != null ? reader : openReader(context);
            batch = r.poll(context.getProperty(POLL_TIMEOUT).asTimePeriod(TimeUnit.MILLISECONDS).intValue(),
                    context.getProperty(MAX_BATCH_BYTES).asLong().intValue());
        } catch (final PgcdcException e) {
            closeReader();
            if (e.isInterim()) {
                getLogger().warn("Reading changes failed, will retry: {}", e.getMessage());
            } else {
                getLogger().error("Reading changes failed: {}", e.getMessage());
            }
            context.yield();
            return;
        }
        if (batch == null) {
            return;
        }
        FlowFile ff = session.create();
        final byte[] bytes = batch.bytes();
        ff = session.write(ff, out -> out.write(bytes));
        final Map<String, String> attrs = Common.batchAttributes(batch);
        attrs.put(Common.A_KIND, Common.KIND_CDC);
        attrs.put(Common.A_SLOT, slot);
        ff = session.putAllAttributes(ff, attrs);
        session.transfer(ff, SUCCESS);

        final long confirmLsn = batch.confirmLsn();
        final StateManager stateManager = context.getStateManager();
        final String slotName = slot;
        // A fragment of a transaction still coming carries no position (0): nothing to confirm.
        session.commitAsync(() -> {
            if (confirmLsn != 0) {
                confirmed(r, stateManager, slotName, confirmLsn);
            }
        }, failure -> {
            getLogger().warn("Committing a change batch failed; the slot will be read again from its confirmed "
                    + "position: {}", failure.toString());
            reopen = true;
        });
    }

    /* The batch is in NiFi's repository: the slot may move past it, once the position is stored. Stored first:
     * a slot confirmed past the stored position looks, at the next start, like a slot advanced by someone else
     * (the reader then refuses with EGAP, as the CLI does). */
    private void confirmed(final ChangeReader r, final StateManager stateManager, final String slotName, final long lsn) {
        try {
            final Map<String, String> state = new HashMap<>();
            state.put(STATE_SLOT, slotName);
            state.put(STATE_CONFIRMED, Lsn.format(lsn));
            stateManager.setState(state, Scope.CLUSTER);
        } catch (final IOException e) {
            getLogger().warn("Could not store the confirmed position {} in the cluster state; the slot stays where it "
                    + "is until a later position is stored: {}", Lsn.format(lsn), e.toString());
            return;
        }
        try {
            r.confirm(lsn);
        } catch (final IllegalStateException closed) {
            // Stopped meanwhile: the state above records the position; the next reader starts there.
        }
    }

    private ChangeReader openReader(final ProcessContext context) {
        final TableStateStoreService store = Common.store(context);
        final String configured = store.getSlotName();
        long start = 0;
        try {
            final StateMap state = context.getStateManager().getState(Scope.CLUSTER);
            final String stateSlot = state.get(STATE_SLOT);
            final String stateLsn = state.get(STATE_CONFIRMED);
            if (stateSlot != null && !stateSlot.equals(configured)) {
                getLogger().warn("The Replication Slot Name is now {} (was {}); reading {} from its own confirmed position",
                        configured, stateSlot, configured);
            } else if (stateLsn != null) {
                start = Lsn.parse(stateLsn);
            }
        } catch (final IOException e) {
            throw new ProcessException("Cannot read the cluster state", e);
        }
        try (ConnectorConfig cfg = store.newConnectorConfig()) {
            final ChangeReader r = ChangeReader.open(cfg, configured, start);
            r.setIdleInterval(context.getProperty(QUIET_POSITION_INTERVAL).asTimePeriod(TimeUnit.MILLISECONDS).intValue());
            r.setFragmentBytes(context.getProperty(MAX_FLOWFILE_BYTES).asLong());
            slot = configured;
            reader = r;
            CaptureRegistry.readerOpened(configured);
            getLogger().info("Reading changes from replication slot {} at {}", configured, Lsn.format(r.confirmedLsn()));
            return r;
        }
    }

    private void closeReader() {
        final ChangeReader r = reader;
        reader = null;
        if (r != null) {
            r.close();
        }
    }

    /** Closes the replication connection: confirmed positions were sent with the last status update. */
    @OnStopped
    public void onStopped() {
        closeReader();
        reopen = false;
    }
}
