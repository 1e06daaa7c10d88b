package io.pgcdc.nifi;

import io.pgcdc.jni.ConnectorConfig;
import io.pgcdc.jni.Lsn;
import io.pgcdc.jni.PgcdcException;
import io.pgcdc.jni.SnapshotSession;
import io.pgcdc.jni.TableInfo;
import io.pgcdc.nifi.services.TableStateStoreService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.PrimaryNodeOnly;
import org.apache.nifi.annotation.behavior.TriggerSerially;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;

/**
 * Starts the snapshot of each new table: NEW tables are prepared (destination and journal tables
 * created, state SNAPSHOT_REPLICATION), a temporary slot with an exported snapshot is created and each
 * table is planned into chunks, one FlowFile per chunk. Chunk FlowFiles are self-contained: they may be
 * load-balanced over a NiFi cluster and fetched by FetchTableSnapshot on any node.
 */
@PrimaryNodeOnly
@TriggerSerially
@InputRequirement(InputRequirement.Requirement.INPUT_FORBIDDEN)
@Tags({"pgcdc", "postgresql", "snapshot", "initial load", "chunk"})
@CapabilityDescription("Moves new tables to SNAPSHOT_REPLICATION and lists their snapshot as chunk FlowFiles (taken "
        + "under one exported snapshot whose consistent point is stamped on every row), for FetchTableSnapshot. "
        + "Waits until CaptureChangePostgreSQL has opened the replication slot, so no change falls between the "
        + "snapshot and the stream.")
@WritesAttributes({
        @WritesAttribute(attribute = "pgcdc.kind", description = "snapshot-chunk (success) or table (tables)"),
        @WritesAttribute(attribute = "pgcdc.table", description = "schema.table"),
        @WritesAttribute(attribute = "pgcdc.table.state", description = "The table's state (tables)"),
        @WritesAttribute(attribute = "pgcdc.snapshot.id", description = "Identifies the snapshot the chunk belongs to"),
        @WritesAttribute(attribute = "pgcdc.snapshot.lsn", description = "The snapshot's consistent point"),
        @WritesAttribute(attribute = "pgcdc.chunk.index", description = "0-based chunk number"),
        @WritesAttribute(attribute = "pgcdc.chunk.count", description = "Chunks of the table in this snapshot")})
public class ListTableSnapshotChunks extends AbstractProcessor {

    public static final PropertyDescriptor TABLE_STATE_STORE = Common.TABLE_STATE_STORE;
    public static final PropertyDescriptor CONCURRENT_SNAPSHOT_QUERIES = new PropertyDescriptor.Builder()
            .name("Concurrent Snapshot Queries").displayName("Concurrent Snapshot Queries")
            .description("At least this many chunks per table (where the table's key allows splitting), so that as "
                    + "many FetchTableSnapshot tasks (over all nodes) can read one table at once. 1 to 64.")
            .required(true)
            .defaultValue("2")
            .addValidator(org.apache.nifi.processor.util.StandardValidators.createLongValidator(1, 64, true))
            .build();

    public static final Relationship SUCCESS = new Relationship.Builder().name("success")
            .description("One FlowFile per snapshot chunk (content: the chunk descriptor).").build();
    public static final Relationship TABLES = new Relationship.Builder().name("tables")
            .description("One FlowFile per table whose state this processor changed (no content); for "
                    + "WaitForTableState, or auto-terminate.").build();

    private static final List<PropertyDescriptor> PROPERTIES = List.of(TABLE_STATE_STORE, CONCURRENT_SNAPSHOT_QUERIES);

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(SUCCESS, TABLES);
    }

    @Override
    public void onTrigger(final ProcessContext context, final ProcessSession session) throws ProcessException {
        final TableStateStoreService store = Common.store(context);
        if (!CaptureRegistry.slotReady(store.getSlotName())) {
            getLogger().debug("Waiting for CaptureChangePostgreSQL to open replication slot {}", store.getSlotName());
            context.yield();
            return;
        }
        final Set<String> toSnapshot = new LinkedHashSet<>();
        boolean emitted = false;
        try {
            for (final TableInfo t : store.tables()) {
                String state = t.state();
                // REMOVED: a table that left the set; prepared again once it is back (then snapshotted into
                // its destination table), left alone while it is out
                if ("NEW".equals(state) || "REMOVED".equals(state)) {
                    state = store.prepareTable(t.table());
                    if (!"REMOVED".equals(state)) {
                        emitTable(session, t.table(), state);
                        emitted = true;
                    }
                }
                if ("SNAPSHOT_REPLICATION".equals(state)) {
                    if (!SnapshotRegistry.active(store.getSlotName(), t.table())) {
                        toSnapshot.add(t.table());
                    }
                } else {
                    SnapshotRegistry.finished(store.getSlotName(), t.table());
                }
            }
            if (!toSnapshot.isEmpty()) {
                listChunks(context, store, session, toSnapshot);
                emitted = true;
            }
        } catch (final PgcdcException e) {
            getLogger().warn("Listing snapshot chunks failed{}: {}", e.isInterim() ? ", will retry" : "", e.getMessage());
            session.rollback();
            context.yield();
            return;
        }
        if (!emitted) {
            context.yield();
        }
    }

    private void emitTable(final ProcessSession session, final String table, final String state) {
        FlowFile ff = session.create();
        final Map<String, String> a = new HashMap<>();
        a.put(Common.A_KIND, Common.KIND_TABLE);
        a.put(Common.A_TABLE, table);
        a.put(Common.A_TABLE_STATE, state);
        ff = session.putAllAttributes(ff, a);
        session.transfer(ff, TABLES);
    }

    private void listChunks(final ProcessContext context, final TableStateStoreService store, final ProcessSession session,
                            final Set<String> tables) {
        final int minChunks = context.getProperty(CONCURRENT_SNAPSHOT_QUERIES).asInteger();
        final SnapshotSession snapshot;
        try (ConnectorConfig cfg = store.newConnectorConfig()) {
            snapshot = SnapshotSession.begin(cfg);
        }
        final String id = UUID.randomUUID().toString();
        final List<FlowFile> chunks = new ArrayList<>();
        final Set<String> done = new LinkedHashSet<>();
        try {
            final String lsn = Lsn.format(snapshot.snapshotLsn());
            for (final String table : tables) {
                final List<byte[]> plan = snapshot.planChunks(table, minChunks);
                if (plan.isEmpty()) {
                    // Nothing to read: no chunk will ever report completion, so complete it here.
                    store.finishSnapshot(table, snapshot.snapshotLsn());
                    emitTable(session, table, "INCREMENTAL_REPLICATION");
                    done.add(table);
                    continue;
                }
                for (int i = 0; i < plan.size(); i++) {
                    final byte[] descriptor = plan.get(i);
                    FlowFile ff = session.create();
                    ff = session.write(ff, out -> out.write(descriptor));
                    final Map<String, String> a = new HashMap<>();
                    a.put(Common.A_KIND, Common.KIND_CHUNK);
                    a.put(Common.A_TABLE, table);
                    a.put(Common.A_SNAPSHOT_ID, id);
                    a.put(Common.A_SNAPSHOT_LSN, lsn);
                    a.put(Common.A_CHUNK_INDEX, Integer.toString(i));
                    a.put(Common.A_CHUNK_COUNT, Integer.toString(plan.size()));
                    chunks.add(session.putAllAttributes(ff, a));
                }
                getLogger().info("Snapshot of {} at {}: {} chunks", table, lsn, plan.size());
            }
        } catch (final RuntimeException e) {
            snapshot.close();
            throw e;
        }
        session.transfer(chunks, SUCCESS);
        final Set<String> pending = new LinkedHashSet<>(tables);
        pending.removeAll(done);
        SnapshotRegistry.register(store.getSlotName(), snapshot, id, pending);
        session.commitAsync(() -> { }, failure -> SnapshotRegistry.discard(snapshot));
    }
}
