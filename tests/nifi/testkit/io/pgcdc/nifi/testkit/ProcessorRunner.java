package io.pgcdc.nifi.testkit;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.nifi.annotation.lifecycle.OnScheduled;
import org.apache.nifi.annotation.lifecycle.OnStopped;
import org.apache.nifi.annotation.lifecycle.OnUnscheduled;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.controller.ControllerServiceLookup;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Processor;
import org.apache.nifi.processor.ProcessorInitializationContext;
import org.apache.nifi.processor.Relationship;

/**
 * Runs one processor through NiFi's lifecycle (test driver against the nifi-api stand-in; tests only):
 * initialize, properties (with #{parameters}), validation, @OnScheduled, onTrigger with a session per
 * trigger, @OnUnscheduled and @OnStopped; an input queue, output queues per relationship and the
 * component state. Single-threaded, like a processor with one concurrent task.
 */
public final class ProcessorRunner {
    private final Processor processor;
    private final Services services;
    private final MockStateManager state;
    private final MockComponentLog log;
    private final Map<String, String> properties = new HashMap<>();
    private final Deque<MockFlowFile> input = new ArrayDeque<>();
    private final Map<String, List<MockFlowFile>> outputs = new HashMap<>();
    private MockContext context;
    private boolean scheduled;
    private int commitFailures;
    private int yields;

    public ProcessorRunner(final Processor processor, final Services services) {
        this(processor, services, new MockStateManager());
    }

    /** With a given component state: a new instance of a processor after a restart or a primary node change. */
    public ProcessorRunner(final Processor processor, final Services services, final MockStateManager state) {
        this.processor = processor;
        this.state = state;
        this.services = services;
        this.log = new MockComponentLog(processor.getClass().getSimpleName());
        final String id = processor.getClass().getSimpleName() + "-" + System.identityHashCode(processor);
        processor.initialize(new ProcessorInitializationContext() {
            @Override public String getIdentifier() { return id; }
            @Override public ComponentLog getLogger() { return log; }
            @Override public ControllerServiceLookup getControllerServiceLookup() { return services; }
        });
        context = new MockContext(processor, properties, services.parameters(), services, state);
    }

    public ProcessorRunner property(final String name, final String value) {
        properties.put(name, value);
        return this;
    }

    public Collection<ValidationResult> validate() {
        return context.validateWith(processor);
    }

    /** Validates (IllegalStateException listing the errors) and calls @OnScheduled. */
    public void schedule() {
        final Collection<ValidationResult> errors = validate();
        if (!errors.isEmpty()) {
            throw new IllegalStateException(processor.getClass().getSimpleName() + " is invalid: " + errors);
        }
        Lifecycle.invoke(processor, OnScheduled.class, context);
        scheduled = true;
    }

    /** Calls onTrigger n times (scheduling first if needed); returns how many of them yielded. */
    public int trigger(final int n) {
        if (!scheduled) {
            schedule();
        }
        int y = 0;
        for (int i = 0; i < n; i++) {
            processor.onTrigger(context, () -> new MockSession(this));
            if (context.takeYield()) {
                y++;
            }
        }
        yields += y;
        return y;
    }

    /** @OnUnscheduled then @OnStopped, as NiFi's Stop. */
    public void stop() {
        if (scheduled) {
            Lifecycle.invoke(processor, OnUnscheduled.class, context);
            Lifecycle.invoke(processor, OnStopped.class, context);
            scheduled = false;
        }
    }

    /** The next n commits that have FlowFiles fail (their onFailure callbacks run; FlowFiles taken go back). */
    public void failCommits(final int n) {
        commitFailures = n;
    }

    boolean consumeCommitFailure() {
        if (commitFailures > 0) {
            commitFailures--;
            return true;
        }
        return false;
    }

    public void enqueue(final MockFlowFile ff) {
        input.add(ff);
    }

    public void enqueue(final Collection<MockFlowFile> ffs) {
        input.addAll(ffs);
    }

    public int queued() {
        return input.size();
    }

    MockFlowFile poll() {
        return input.poll();
    }

    void requeue(final MockFlowFile ff) {
        input.addFirst(ff);
    }

    Set<Relationship> relationships() {
        return processor.getRelationships();
    }

    void output(final Relationship r, final MockFlowFile ff) {
        outputs.computeIfAbsent(r.getName(), k -> new ArrayList<>()).add(ff);
    }

    /** Removes and returns what was committed to the relationship, in commit order. */
    public List<MockFlowFile> take(final String relationship) {
        final List<MockFlowFile> l = outputs.remove(relationship);
        return l == null ? List.of() : l;
    }

    public MockStateManager state() {
        return state;
    }

    public List<String> logLines() {
        return log.lines();
    }

    public int yields() {
        return yields;
    }
}
