package io.pgcdc.nifi;

import io.pgcdc.jni.PgcdcException;
import io.pgcdc.nifi.services.TableStateStoreService;
import java.util.List;
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
import org.apache.nifi.processor.util.StandardValidators;

/** Moves the FlowFile's table to FAILED; the other tables go on. */
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@Tags({"pgcdc", "postgresql", "table state", "failure"})
@CapabilityDescription("Sets the state of the table named by pgcdc.table to FAILED, with pgcdc.error.message as the "
        + "reason (logged as 'Replication state for table <db>.<schema>.<table> changed from <OLD> to FAILED'). To "
        + "replicate the table again: remove it from the included tables, drop its destination table, add it back.")
@ReadsAttributes({
        @ReadsAttribute(attribute = "pgcdc.table", description = "schema.table"),
        @ReadsAttribute(attribute = "pgcdc.error.message", description = "Why (else the Default Failure Message)")})
@WritesAttributes({@WritesAttribute(attribute = "pgcdc.table.state", description = "FAILED")})
public class MarkTableFailed extends AbstractProcessor {

    public static final PropertyDescriptor TABLE_STATE_STORE = Common.TABLE_STATE_STORE;
    public static final PropertyDescriptor DEFAULT_MESSAGE = new PropertyDescriptor.Builder()
            .name("Default Failure Message").displayName("Default Failure Message")
            .description("The reason recorded when the FlowFile has no pgcdc.error.message.")
            .required(true)
            .defaultValue("failed in the NiFi flow (see the bulletins of the processor that routed it to failure)")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final Relationship SUCCESS = new Relationship.Builder().name("success")
            .description("The table is FAILED.").build();
    public static final Relationship FAILURE = new Relationship.Builder().name("failure")
            .description("The FlowFile names no table.").build();

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return List.of(TABLE_STATE_STORE, DEFAULT_MESSAGE);
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(SUCCESS, FAILURE);
    }

    @Override
    public void onTrigger(final ProcessContext context, final ProcessSession session) throws ProcessException {
        FlowFile ff = session.get();
        if (ff == null) {
            return;
        }
        final String table = ff.getAttribute(Common.A_TABLE);
        if (table == null || table.isBlank()) {
            session.transfer(ff, FAILURE);
            return;
        }
        final String reason = ff.getAttribute(Common.A_ERROR_MESSAGE);
        final String message = reason != null && !reason.isBlank() ? reason : context.getProperty(DEFAULT_MESSAGE).getValue();
        final TableStateStoreService store = context.getProperty(TABLE_STATE_STORE).asControllerService(TableStateStoreService.class);
        try {
            store.failTable(table, message);
        } catch (final PgcdcException e) {
            getLogger().warn("Marking {} FAILED did not succeed, will retry: {}", table, e.getMessage());
            session.rollback(true);
            context.yield();
            return;
        }
        // ERROR: a bulletin on this component names the table and why
        getLogger().error("Table {} is FAILED: {}", table, message);
        SnapshotRegistry.finished(store.getSlotName(), table);
        session.transfer(session.putAttribute(ff, Common.A_TABLE_STATE, "FAILED"), SUCCESS);
    }
}
