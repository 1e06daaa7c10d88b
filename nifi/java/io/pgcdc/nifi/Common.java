package io.pgcdc.nifi;

import io.pgcdc.jni.ChangeBatch;
import io.pgcdc.jni.Lsn;
import io.pgcdc.jni.PgcdcException;
import io.pgcdc.nifi.services.TableStateStoreService;
import java.io.ByteArrayOutputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;

/** What the processors share: the Table State Store property, relationships, FlowFile attributes. */
final class Common {
    private Common() {
    }

    static final PropertyDescriptor TABLE_STATE_STORE = new PropertyDescriptor.Builder()
            .name("Table State Store").displayName("Table State Store")
            .description("The TableStateStore controller service: the source, destination and ingestion parameters "
                    + "and the table states.")
            .required(true)
            .identifiesControllerService(TableStateStoreService.class)
            .build();

    /** The properties of a processor whose only property is the Table State Store. */
    static final List<PropertyDescriptor> STORE_ONLY = List.of(TABLE_STATE_STORE);

    /** The byte limit per FlowFile of rows: a larger transaction or snapshot chunk goes out in several. */
    static final PropertyDescriptor MAX_FLOWFILE_BYTES = new PropertyDescriptor.Builder()
            .name("Max FlowFile Bytes").displayName("Max FlowFile Bytes")
            .description("A transaction or a snapshot chunk larger than this goes out in several FlowFiles of about "
                    + "this size (a transaction's fragments carry no position to confirm until its last one; a "
                    + "chunk counts as written once all its pieces are), so memory and FlowFiles stay bounded "
                    + "whatever the data.")
            .required(true)
            .defaultValue("67108864")
            .addValidator(org.apache.nifi.processor.util.StandardValidators.createLongValidator(1024, 1L << 30, true))
            .build();

    /** The processor's Table State Store service. */
    static TableStateStoreService store(final ProcessContext context) {
        return context.getProperty(TABLE_STATE_STORE).asControllerService(TableStateStoreService.class);
    }

    static final Relationship SUCCESS = new Relationship.Builder().name("success")
            .description("FlowFiles processed successfully.").build();
    static final Relationship FAILURE = new Relationship.Builder().name("failure")
            .description("FlowFiles that cannot be processed for a reason that retrying does not cure; "
                    + "pgcdc.error.code and pgcdc.error.message say why. Connection problems are retried instead "
                    + "(the FlowFile stays in the incoming queue and the processor yields).").build();

    static final String MIME_TYPE = "application/x-protobuf; messageType=pgcdc.v1.ChangeBatch";

    /* FlowFile attributes. */
    static final String A_KIND = "pgcdc.kind";                 // cdc | snapshot-chunk | snapshot | table
    static final String A_SLOT = "pgcdc.slot.name";
    static final String A_FIRST_LSN = "pgcdc.first.lsn";
    static final String A_CONFIRM_LSN = "pgcdc.confirm.lsn";
    static final String A_TRANSACTIONS = "pgcdc.transactions";
    static final String A_CHANGES = "pgcdc.changes";
    static final String A_TABLE = "pgcdc.table";
    static final String A_TABLE_STATE = "pgcdc.table.state";
    static final String A_SNAPSHOT_ID = "pgcdc.snapshot.id";
    static final String A_SNAPSHOT_LSN = "pgcdc.snapshot.lsn";
    static final String A_CHUNK_INDEX = "pgcdc.chunk.index";
    static final String A_CHUNK_COUNT = "pgcdc.chunk.count";
    static final String A_CHUNK_PIECE = "pgcdc.chunk.piece";   // a chunk's rows in several FlowFiles: 0-based
    static final String A_CHUNK_PIECES = "pgcdc.chunk.pieces"; // and how many
    static final String A_DURABLE_LSN = "pgcdc.durable.lsn";
    static final String A_ERROR_CODE = "pgcdc.error.code";
    static final String A_ERROR_MESSAGE = "pgcdc.error.message";
    static final String A_MIME = "mime.type";

    static final String KIND_CDC = "cdc";
    static final String KIND_CHUNK = "snapshot-chunk";
    static final String KIND_SNAPSHOT = "snapshot";
    static final String KIND_TABLE = "table";

    static byte[] content(final ProcessSession session, final FlowFile ff) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(ff.getSize(), 1 << 26));
        session.read(ff, in -> in.transferTo(out));
        return out.toByteArray();
    }

    static Map<String, String> batchAttributes(final ChangeBatch b) {
        final Map<String, String> a = new HashMap<>();
        a.put(A_FIRST_LSN, Lsn.format(b.firstLsn()));
        a.put(A_CONFIRM_LSN, Lsn.format(b.confirmLsn()));
        a.put(A_TRANSACTIONS, Integer.toString(b.transactions()));
        a.put(A_CHANGES, Integer.toString(b.changes()));
        a.put(A_MIME, MIME_TYPE);
        return a;
    }

    /** The attribute naming the tables a journal write moved to FAILED (comma-separated). */
    static final String A_FAILED_TABLES = "pgcdc.failed.tables";

    /**
     * Sends the native library's log lines of the calling thread to the component's logger until
     * closed (try-with-resources around native calls).
     */
    static io.pgcdc.jni.NativeLog.Binding nativeLog(final org.apache.nifi.logging.ComponentLog log) {
        return io.pgcdc.jni.NativeLog.bind(sink(log));
    }

    /** A native log sink writing to a component's logger. */
    static io.pgcdc.jni.NativeLog.Sink sink(final org.apache.nifi.logging.ComponentLog log) {
        return (level, message) -> {
            switch (level) {
                case ERROR -> log.error(message);
                case WARN -> log.warn(message);
                case INFO -> log.info(message);
                default -> log.debug(message);
            }
        };
    }

    static Map<String, String> errorAttributes(final RuntimeException e) {
        final Map<String, String> a = new HashMap<>();
        a.put(A_ERROR_CODE, e instanceof PgcdcException p ? p.code() : e.getClass().getSimpleName());
        a.put(A_ERROR_MESSAGE, String.valueOf(e.getMessage()));
        return a;
    }

    /** Connection lost, server restarting, timeouts: retry later, never fail a table for it. */
    static boolean isInterim(final RuntimeException e) {
        return e instanceof PgcdcException p && p.isInterim();
    }
}
