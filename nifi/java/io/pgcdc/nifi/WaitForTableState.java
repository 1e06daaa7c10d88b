package io.pgcdc.nifi;

import io.pgcdc.jni.PgcdcException;
import io.pgcdc.jni.TableInfo;
import io.pgcdc.nifi.services.TableStateStoreService;
import java.util.HashMap;
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
import org.apache.nifi.processor.util.StandardValidators;

/** Holds FlowFiles of a table until the table reaches a state (or FAILED). */
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@Tags({"pgcdc", "postgresql", "table state", "wait"})
@CapabilityDescription("Routes a FlowFile carrying pgcdc.table to success once the table is in the Table State, to "
        + "failure if the table is FAILED (or not included), and back to wait (penalized) otherwise.")
@ReadsAttributes({@ReadsAttribute(attribute = "pgcdc.table", description = "schema.table")})
@WritesAttributes({@WritesAttribute(attribute = "pgcdc.table.state", description = "The table's current state")})
public class WaitForTableState extends AbstractProcessor {

    public static final PropertyDescriptor TABLE_STATE_STORE = Common.TABLE_STATE_STORE;
    public static final PropertyDescriptor TABLE_STATE = new PropertyDescriptor.Builder()
            .name("Table State").displayName("Table State")
            .description("The state to wait for.")
            .required(true)
            .allowableValues("SNAPSHOT_REPLICATION", "INCREMENTAL_REPLICATION", "FAILED")
            .defaultValue("INCREMENTAL_REPLICATION")
            .build();
    public static final PropertyDescriptor BATCH_SIZE = new PropertyDescriptor.Builder()
            .name("Batch Size").displayName("Batch Size")
            .description("FlowFiles checked per trigger (one table-state query).")
            .required(true)
            .defaultValue("100")
            .addValidator(StandardValidators.createLongValidator(1, 10000, true))
            .build();

    public static final Relationship SUCCESS = new Relationship.Builder().name("success")
            .description("The table is in the Table State.").build();
    public static final Relationship WAIT = new Relationship.Builder().name("wait")
            .description("Not yet: loop this relationship back to the processor (FlowFiles are penalized).").build();
    public static final Relationship FAILURE = new Relationship.Builder().name("failure")
            .description("The table is FAILED, or not included any more, or the FlowFile has no pgcdc.table.").build();

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return List.of(TABLE_STATE_STORE, TABLE_STATE, BATCH_SIZE);
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(SUCCESS, WAIT, FAILURE);
    }

    @Override
    public void onTrigger(final ProcessContext context, final ProcessSession session) throws ProcessException {
        final List<FlowFile> flowFiles = session.get(context.getProperty(BATCH_SIZE).asInteger());
        if (flowFiles.isEmpty()) {
            return;
        }
        final TableStateStoreService store = context.getProperty(TABLE_STATE_STORE).asControllerService(TableStateStoreService.class);
        final String wanted = context.getProperty(TABLE_STATE).getValue();
        final Map<String, String> states = new HashMap<>();
        try {
            for (final TableInfo t : store.tables()) {
                states.put(t.table(), t.state());
            }
        } catch (final PgcdcException e) {
            getLogger().warn("Reading table states failed, will retry: {}", e.getMessage());
            session.rollback(true);
            context.yield();
            return;
        }
        for (FlowFile ff : flowFiles) {
            final String table = ff.getAttribute(Common.A_TABLE);
            final String state = table == null ? null : states.get(table);
            ff = session.putAttribute(ff, Common.A_TABLE_STATE, state == null ? "NOT_INCLUDED" : state);
            if (wanted.equals(state)) {
                session.transfer(ff, SUCCESS);
            } else if (state == null || "FAILED".equals(state)) {
                session.transfer(ff, FAILURE);
            } else {
                session.transfer(session.penalize(ff), WAIT);
            }
        }
    }
}
