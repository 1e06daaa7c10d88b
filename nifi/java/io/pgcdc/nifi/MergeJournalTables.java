package io.pgcdc.nifi;

import io.pgcdc.jni.CronSchedule;
import io.pgcdc.jni.PgcdcException;
import io.pgcdc.nifi.services.TableStateStoreService;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.PrimaryNodeOnly;
import org.apache.nifi.annotation.behavior.TriggerSerially;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.lifecycle.OnScheduled;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;

/**
 * Merges the journal tables into the destination tables on the "Merge Task Schedule CRON" (Quartz, UTC).
 * Schedule the processor itself often (timer driven, 1 sec): each trigger merges if the expression fired
 * since the last merge (every trigger for "* * * * * ?"). The merge is idempotent; interim errors are
 * retried on the next trigger and never fail a table.
 */
@PrimaryNodeOnly
@TriggerSerially
@InputRequirement(InputRequirement.Requirement.INPUT_FORBIDDEN)
@Tags({"pgcdc", "postgresql", "merge", "journal", "cron"})
@CapabilityDescription("Merges the journal tables of every INCREMENTAL_REPLICATION table into its destination table up "
        + "to the durable source position (per key the last change in commit order; deletes are soft), when the Merge "
        + "Task Schedule CRON fires. A table the destination refuses to merge goes to FAILED alone.")
public class MergeJournalTables extends AbstractProcessor {

    /* libpgcdc's own parser (io.pgcdc.jni.CronSchedule): the CLI and NiFi accept the same schedules. */
    static final Validator CRON_VALIDATOR = (subject, input, context) -> {
        final ValidationResult.Builder r = new ValidationResult.Builder().subject(subject).input(input);
        try {
            CronSchedule.parse(input);
            return r.valid(true).build();
        } catch (final PgcdcException e) {
            return r.valid(false).explanation(e.getMessage()).build();
        } catch (final UnsatisfiedLinkError | NoClassDefFoundError e) {
            return r.valid(false).explanation("the pgcdc native library (libpgcdc_jni.so) cannot be loaded: "
                    + e.getMessage()).build();
        }
    };

    public static final PropertyDescriptor TABLE_STATE_STORE = Common.TABLE_STATE_STORE;
    public static final PropertyDescriptor MERGE_CRON = new PropertyDescriptor.Builder()
            .name("Merge Task Schedule CRON").displayName("Merge Task Schedule CRON")
            .description("When to merge: a Quartz expression (seconds first, 6-7 fields), UTC. * * * * * ? merges "
                    + "continuously (at every trigger).")
            .required(true)
            .defaultValue("* * * * * ?")
            .addValidator(CRON_VALIDATOR)
            .build();

    private volatile CronSchedule cron;
    private volatile Instant lastCheck;

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return List.of(TABLE_STATE_STORE, MERGE_CRON);
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of();
    }

    @OnScheduled
    public void onScheduled(final ProcessContext context) {
        cron = CronSchedule.parse(context.getProperty(MERGE_CRON).getValue());
        // The first trigger merges whatever an earlier run left unmerged.
        lastCheck = Instant.EPOCH;
    }

    @Override
    public void onTrigger(final ProcessContext context, final ProcessSession session) throws ProcessException {
        final Instant now = Instant.now();
        if (!cron.continuous() && !cron.firesBetween(lastCheck, now)) {
            context.yield();
            return;
        }
        final TableStateStoreService store = context.getProperty(TABLE_STATE_STORE).asControllerService(TableStateStoreService.class);
        try {
            store.merge();
            lastCheck = now;
        } catch (final PgcdcException e) {
            // The next trigger tries again (lastCheck not moved); the states are left as they are.
            getLogger().warn("Merging the journal tables failed{}: {}", e.isInterim() ? ", will retry" : "", e.getMessage());
            context.yield();
        }
    }
}
