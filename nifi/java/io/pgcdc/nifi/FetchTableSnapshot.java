package io.pgcdc.nifi;

import io.pgcdc.jni.ConnectorConfig;
import io.pgcdc.jni.PgcdcException;
import io.pgcdc.jni.SnapshotFetcher;
import io.pgcdc.nifi.services.TableStateStoreService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.ReadsAttribute;
import org.apache.nifi.annotation.behavior.ReadsAttributes;
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
 * Reads the rows of one snapshot chunk (its own source connection, the chunk's exported snapshot) and
 * replaces the FlowFile's content with them as a ChangeBatch of one SnapshotRows record - or, for a chunk
 * larger than Max FlowFile Bytes, with its first piece, the others in FlowFiles of their own
 * (pgcdc.chunk.piece / pgcdc.chunk.pieces). Safe to run with several concurrent tasks and on every node of
 * a cluster.
 */
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@Tags({"pgcdc", "postgresql", "snapshot", "initial load", "chunk"})
@CapabilityDescription("Fetches the rows of a snapshot chunk listed by ListTableSnapshotChunks (binary COPY under the "
        + "chunk's exported snapshot) as a pgcdc.v1.ChangeBatch for PutJournalRows. Runs on any node: chunk FlowFiles "
        + "may be load-balanced over the cluster.")
@ReadsAttributes({@ReadsAttribute(attribute = "pgcdc.table", description = "schema.table of the chunk")})
@WritesAttributes({
        @WritesAttribute(attribute = "pgcdc.kind", description = "snapshot"),
        @WritesAttribute(attribute = "pgcdc.changes", description = "Rows in the FlowFile"),
        @WritesAttribute(attribute = "pgcdc.chunk.piece", description = "Which piece of the chunk's rows (0-based)"),
        @WritesAttribute(attribute = "pgcdc.chunk.pieces", description = "How many pieces the chunk's rows came in"),
        @WritesAttribute(attribute = "pgcdc.error.code", description = "On failure: the pgcdc error code"),
        @WritesAttribute(attribute = "pgcdc.error.message", description = "On failure: what is wrong")})
public class FetchTableSnapshot extends AbstractProcessor {

    public static final PropertyDescriptor TABLE_STATE_STORE = Common.TABLE_STATE_STORE;
    public static final PropertyDescriptor MAX_FLOWFILE_BYTES = Common.MAX_FLOWFILE_BYTES;
    public static final Relationship SUCCESS = new Relationship.Builder().name("success")
            .description("The chunk's rows (content: pgcdc.v1.ChangeBatch).").build();
    public static final Relationship FAILURE = Common.FAILURE;

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return List.of(TABLE_STATE_STORE, MAX_FLOWFILE_BYTES);
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(SUCCESS, FAILURE);
    }

    @Override
    @SuppressWarnings("try") // the native-log binding is only closed
    public void onTrigger(final ProcessContext context, final ProcessSession session) throws ProcessException {
        FlowFile ff = session.get();
        if (ff == null) {
            return;
        }
        final TableStateStoreService store = Common.store(context);
        final byte[] descriptor = Common.content(session, ff);
        final long maxBytes = context.getProperty(MAX_FLOWFILE_BYTES).asLong();
        // Each piece goes into its own FlowFile as it comes (the first into the chunk's FlowFile): a chunk
        // of huge rows is never held whole. All are committed together, or none (rollback).
        final List<FlowFile> pieces = new ArrayList<>();
        final FlowFile original = ff;
        // A configuration per call: fetches of concurrent tasks do not wait for each other.
        try (ConnectorConfig cfg = store.newConnectorConfig();
             io.pgcdc.jni.NativeLog.Binding log = Common.nativeLog(getLogger())) {
            SnapshotFetcher.fetchChunkPieces(cfg, descriptor, maxBytes, batch -> {
                FlowFile p = pieces.isEmpty() ? original : session.create(pieces.get(0));
                final byte[] bytes = batch.bytes();
                p = session.write(p, out -> out.write(bytes));
                final Map<String, String> a = Common.batchAttributes(batch);
                a.put(Common.A_KIND, Common.KIND_SNAPSHOT);
                a.put(Common.A_CHUNK_PIECE, Integer.toString(pieces.size()));
                pieces.add(session.putAllAttributes(p, a));
            });
        } catch (final PgcdcException e) {
            for (int i = 1; i < pieces.size(); i++) {
                session.remove(pieces.get(i));
            }
            if (!pieces.isEmpty()) {
                ff = pieces.get(0);
            }
            if ("ENOTFOUND".equals(e.code())) {
                // An abandoned attempt: its session was lost (a NiFi restart, or the source restarted under a
                // running NiFi: then the registry still holds the dead session, and dropping it here lets
                // ListTableSnapshotChunks take the table's snapshot again). Not a reason to fail the table.
                final boolean current = SnapshotRegistry.lost(store.getSlotName(), ff.getAttribute(Common.A_TABLE),
                        ff.getAttribute(Common.A_SNAPSHOT_ID));
                getLogger().warn("Dropping a chunk of {} from snapshot {}{}: {}", ff.getAttribute(Common.A_TABLE),
                        ff.getAttribute(Common.A_SNAPSHOT_ID), current ? " (its session is gone: the table's snapshot "
                        + "is taken again)" : "", e.getMessage());
                session.remove(ff);
                return;
            }
            if (e.isInterim()) {
                getLogger().warn("Fetching a chunk of {} failed, will retry: {}", ff.getAttribute(Common.A_TABLE), e.getMessage());
                session.rollback(true);
                context.yield();
                return;
            }
            getLogger().error("Fetching a chunk of {} failed: {}", ff.getAttribute(Common.A_TABLE), e.getMessage());
            ff = session.putAllAttributes(ff, Common.errorAttributes(e));
            session.transfer(session.penalize(ff), FAILURE);
            return;
        }
        final String count = Integer.toString(pieces.size());
        for (final FlowFile p : pieces) {
            session.transfer(session.putAttribute(p, Common.A_CHUNK_PIECES, count), SUCCESS);
        }
    }
}
