package io.pgcdc.nifi;

import io.pgcdc.jni.Lsn;
import io.pgcdc.jni.PgcdcException;
import io.pgcdc.jni.TableInfo;
import io.pgcdc.nifi.services.TableStateStoreService;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.ReadsAttribute;
import org.apache.nifi.annotation.behavior.ReadsAttributes;
import org.apache.nifi.annotation.behavior.Stateful;
import org.apache.nifi.annotation.behavior.TriggerSerially;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.Tags;
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
 * Counts the snapshot chunks written to the journal and, when every chunk of a table's snapshot is in,
 * merges the snapshot (bound: its consistent point) and moves the table from SNAPSHOT_REPLICATION to
 * INCREMENTAL_REPLICATION. The chunk numbers seen are kept in the cluster state (chunks written on
 * several nodes count together; a chunk written twice counts once). A chunk whose rows came in several
 * FlowFiles (pgcdc.chunk.piece of pgcdc.chunk.pieces) counts once all its pieces are written.
 */
@TriggerSerially
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@Stateful(scopes = Scope.CLUSTER, description = "chunks.<snapshot id>.<table>: the chunk numbers of that snapshot "
        + "already written to the journal; removed when the table's snapshot is complete.")
@Tags({"pgcdc", "postgresql", "snapshot", "table state"})
@CapabilityDescription("Completes table snapshots: once every chunk of a table's snapshot is written to the journal, "
        + "merges it into the destination table and sets the table's state to INCREMENTAL_REPLICATION.")
@ReadsAttributes({
        @ReadsAttribute(attribute = "pgcdc.table", description = "schema.table"),
        @ReadsAttribute(attribute = "pgcdc.snapshot.id", description = "The snapshot the chunk belongs to"),
        @ReadsAttribute(attribute = "pgcdc.snapshot.lsn", description = "The snapshot's consistent point"),
        @ReadsAttribute(attribute = "pgcdc.chunk.index", description = "The chunk number"),
        @ReadsAttribute(attribute = "pgcdc.chunk.count", description = "Chunks of the table in the snapshot"),
        @ReadsAttribute(attribute = "pgcdc.chunk.piece", description = "Which piece of the chunk's rows (absent: 0)"),
        @ReadsAttribute(attribute = "pgcdc.chunk.pieces", description = "How many pieces the chunk came in (absent: 1)")})
@WritesAttributes({@WritesAttribute(attribute = "pgcdc.table.state", description = "The table's state afterwards")})
public class UpdateTableState extends AbstractProcessor {

    public static final PropertyDescriptor TABLE_STATE_STORE = Common.TABLE_STATE_STORE;
    public static final PropertyDescriptor BATCH_SIZE = new PropertyDescriptor.Builder()
            .name("Batch Size").displayName("Batch Size")
            .description("Chunk FlowFiles handled per trigger (one table-state query and one state update each).")
            .required(true)
            .defaultValue("100")
            .addValidator(StandardValidators.createLongValidator(1, 10000, true))
            .build();

    public static final Relationship SUCCESS = new Relationship.Builder().name("success")
            .description("Chunks counted; pgcdc.table.state tells whether the table's snapshot is complete.").build();
    public static final Relationship FAILURE = Common.FAILURE;

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return List.of(TABLE_STATE_STORE, BATCH_SIZE);
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(SUCCESS, FAILURE);
    }

    @Override
    @SuppressWarnings("try") // the native-log binding is only closed
    public void onTrigger(final ProcessContext context, final ProcessSession session) throws ProcessException {
        final List<FlowFile> flowFiles = session.get(context.getProperty(BATCH_SIZE).asInteger());
        if (flowFiles.isEmpty()) {
            return;
        }
        final TableStateStoreService store = context.getProperty(TABLE_STATE_STORE).asControllerService(TableStateStoreService.class);
        final Map<String, String> states = new HashMap<>();
        try (io.pgcdc.jni.NativeLog.Binding log = Common.nativeLog(getLogger())) {
            for (final TableInfo t : store.tables()) {
                states.put(t.table(), t.state());
            }
            for (final FlowFile ff : flowFiles) {
                handle(context.getStateManager(), store, states, session, ff);
            }
        } catch (final PgcdcException e) {
            if ("ETIMEOUT".equals(e.code())) {
                getLogger().debug("A snapshot waits for the change stream: {}", e.getMessage());
            } else if (!e.isInterim()) {
                getLogger().error("Updating table states failed: {}", e.getMessage());
            } else {
                getLogger().warn("Updating table states failed, will retry: {}", e.getMessage());
            }
            session.rollback(true);
            context.yield();
        } catch (final IOException e) {
            throw new ProcessException("Cannot update the cluster state", e);
        }
    }

    private void handle(final StateManager stateManager, final TableStateStoreService store, final Map<String, String> states,
                        final ProcessSession session, FlowFile ff) throws IOException {
        final String table = ff.getAttribute(Common.A_TABLE);
        final String id = ff.getAttribute(Common.A_SNAPSHOT_ID);
        final long lsn;
        final int index;
        final int count;
        final int piece;
        final int pieces;
        try {
            lsn = Lsn.parse(ff.getAttribute(Common.A_SNAPSHOT_LSN));
            index = Integer.parseInt(ff.getAttribute(Common.A_CHUNK_INDEX));
            count = Integer.parseInt(ff.getAttribute(Common.A_CHUNK_COUNT));
            final String pa = ff.getAttribute(Common.A_CHUNK_PIECE), pn = ff.getAttribute(Common.A_CHUNK_PIECES);
            piece = pa == null ? 0 : Integer.parseInt(pa);
            pieces = pn == null ? 1 : Integer.parseInt(pn);
            if (piece < 0 || pieces < 1 || piece >= pieces) {
                throw new IllegalArgumentException("piece " + piece + " of " + pieces);
            }
        } catch (final RuntimeException e) {
            final Map<String, String> a = new HashMap<>();
            a.put(Common.A_ERROR_CODE, "EINVAL");
            a.put(Common.A_ERROR_MESSAGE, "not a snapshot chunk of ListTableSnapshotChunks (pgcdc.snapshot.lsn, "
                    + "pgcdc.chunk.index, pgcdc.chunk.count missing or malformed, or pgcdc.chunk.piece / "
                    + "pgcdc.chunk.pieces malformed)");
            session.transfer(session.putAllAttributes(ff, a), FAILURE);
            return;
        }
        final String state = states.get(table);
        if (table == null || id == null || !"SNAPSHOT_REPLICATION".equals(state)) {
            // Complete already (a chunk written twice), failed, or no longer included: nothing to count.
            session.transfer(session.putAttribute(ff, Common.A_TABLE_STATE, state == null ? "NOT_INCLUDED" : state), SUCCESS);
            return;
        }
        final String key = "chunks." + id + "." + table;
        boolean complete;
        boolean finished = false;
        while (true) {
            final StateMap old = stateManager.getState(Scope.CLUSTER);
            final Map<String, String> next = new HashMap<>(old.toMap());
            // "i" a chunk written whole, "i:p/n" piece p of n of chunk i (a chunk is written once every
            // piece is: then its pieces collapse into "i")
            final TreeSet<Integer> seen = new TreeSet<>();
            final TreeSet<String> partial = new TreeSet<>();
            final String v = next.get(key);
            if (v != null && !v.isEmpty()) {
                for (final String s : v.split(",")) {
                    if (s.contains(":")) {
                        partial.add(s);
                    } else {
                        seen.add(Integer.parseInt(s));
                    }
                }
            }
            if (pieces == 1) {
                seen.add(index);
            } else if (!seen.contains(index)) {
                partial.add(index + ":" + piece + "/" + pieces);
                // pieces of one fetch of the chunk (a fetch again may cut it otherwise)
                final String prefix = index + ":", suffix = "/" + pieces;
                if (partial.stream().filter(e -> e.startsWith(prefix) && e.endsWith(suffix)).count() >= pieces) {
                    partial.removeIf(e -> e.startsWith(prefix));
                    seen.add(index);
                }
            }
            complete = seen.size() >= count;
            if (complete && !finished) {
                // Before the count is dropped from the state: finishing waits (PgcdcException ETIMEOUT, interim:
                // the session is rolled back and this chunk comes again) until the CDC batches are written up
                // to the snapshot's point, and the chunk must then still complete the count.
                store.finishSnapshot(table, lsn);
                finished = true;
            }
            if (complete) {
                next.remove(key);
            } else {
                final List<String> entries = new java.util.ArrayList<>(seen.stream().map(String::valueOf).toList());
                entries.addAll(partial);
                next.put(key, String.join(",", entries));
            }
            if (stateManager.replace(old, next, Scope.CLUSTER)) {
                break;
            }
        }
        String after = state;
        if (complete) {
            after = "INCREMENTAL_REPLICATION";
            states.put(table, after);
            SnapshotRegistry.finished(store.getSlotName(), table);
            getLogger().info("Snapshot of {} complete ({} chunks): INCREMENTAL_REPLICATION", table, count);
        }
        session.transfer(session.putAttribute(ff, Common.A_TABLE_STATE, after), SUCCESS);
    }
}
