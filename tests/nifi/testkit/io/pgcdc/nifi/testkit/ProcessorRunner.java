package io.pgcdc.nifi.testkit;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
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
import org.apache.nifi.processor.exception.ProcessException;

/**
 * Runs one processor through NiFi's lifecycle (test driver against the nifi-api stand-in; tests only):
 * initialize, properties (with #{parameters}), validation, @OnScheduled, onTrigger with a session per
 * trigger, @OnUnscheduled and @OnStopped; an input queue, output queues per relationship and the
 * component state. Single-threaded, like a processor with one concurrent task.
 *
 * Where it matters it is as strict as NiFi (and nifi-mock's TestRunner): {@link #run(int)} validates,
 * schedules, triggers and then unschedules and stops the processor; a FlowFile rolled back goes behind
 * the others in the queue (as nifi-mock's queue; with {@link #fifo()}, NiFi's FirstInFirstOutPrioritizer,
 * back to its place by its queue date), a penalized one behind every unpenalized one and is not taken
 * before its penalty ends (NiFi's QueuePrioritizer); an exception out of onTrigger (a failed commit
 * included) reaches the caller.
 */
public final class ProcessorRunner {
    private final Processor processor;
    private final Services services;
    private final MockStateManager state;
    private final MockComponentLog log;
    private final Map<String, String> properties = new HashMap<>();
    private final List<MockFlowFile> input = new ArrayList<>();   // queue order; penalized ones are skipped
    private final Map<Long, Long> queueIndex = new HashMap<>();     // FlowFile id -> when it was enqueued
    private long enqueued;
    private boolean fifo;
    private final Map<String, List<MockFlowFile>> outputs = new HashMap<>();
    private MockContext context;
    private boolean scheduled;
    private int commitFailures;
    private int yields;
    private long penaltyNanos = TimeUnit.SECONDS.toNanos(30);   // NiFi's default Penalty Duration

    public ProcessorRunner(final Processor processor, final Services services) {
        this(processor, services, new MockStateManager());
    }

    /** With a given component state: a new instance of a processor after a restart or a primary node change. */
    public ProcessorRunner(final Processor processor, final Services services, final MockStateManager state) {
        this.processor = processor;
        this.state = state;
        this.services = services;
        final String id = processor.getClass().getSimpleName() + "-" + System.identityHashCode(processor);
        this.log = new MockComponentLog(processor);
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

    /**
     * As nifi-mock's TestRunner.run(n): validates, calls @OnScheduled, onTrigger n times, then @OnUnscheduled
     * and @OnStopped. Returns how many of the triggers yielded.
     */
    public int run(final int n) {
        return run(n, true, true);
    }

    /**
     * As nifi-mock's TestRunner.run(n, stopOnFinish, initialize): {@code initialize} validates and calls
     * @OnScheduled first, {@code stopOnFinish} calls @OnUnscheduled and @OnStopped after the n triggers
     * (also when one of them threw).
     */
    public int run(final int n, final boolean stopOnFinish, final boolean initialize) {
        if (initialize || !scheduled) {
            schedule();
        }
        int y = 0;
        try {
            for (int i = 0; i < n; i++) {
                try {
                    processor.onTrigger(context, () -> new MockSession(this));
                } finally {
                    if (context.takeYield()) {
                        y++;
                    }
                }
            }
        } finally {
            yields += y;
            if (stopOnFinish) {
                stop();
            }
        }
        return y;
    }

    /**
     * Calls onTrigger n times and leaves the processor running (scheduling it first if needed): what a
     * running flow does between two of the test's steps. Returns how many of them yielded.
     */
    public int trigger(final int n) {
        return run(n, false, false);
    }

    /**
     * As NiFi's framework (ConnectableTask) around a running processor: onTrigger n times, an exception out
     * of it logged on the component as NiFi logs it ("Processing failed" for a ProcessException, a failed
     * commit included; otherwise "Processing halted" and an administrative yield) instead of reaching the
     * caller. Returns the exceptions caught.
     */
    public List<RuntimeException> triggerAsFramework(final int n) {
        final List<RuntimeException> thrown = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            try {
                trigger(1);
            } catch (final ProcessException e) {
                log.error("Processing failed", e);
                thrown.add(e);
            } catch (final RuntimeException e) {
                log.error("Processing halted: yielding [{}]", "10 sec", e);
                yields++;
                thrown.add(e);
            }
        }
        return thrown;
    }

    /** @OnUnscheduled then @OnStopped, as NiFi's Stop. */
    public void stop() {
        if (scheduled) {
            Lifecycle.invoke(processor, OnUnscheduled.class, context);
            Lifecycle.invoke(processor, OnStopped.class, context);
            scheduled = false;
        }
    }

    /**
     * The next n commits that have FlowFiles fail: the session rolls back (FlowFiles taken go back to the
     * queue), commitAsync's onFailure runs, and the failure is thrown out of onTrigger.
     */
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
        queueIndex.put(ff.getId(), ++enqueued);
        input.add(ff);
    }

    public void enqueue(final Collection<MockFlowFile> ffs) {
        for (final MockFlowFile ff : ffs) {
            enqueue(ff);
        }
    }

    /**
     * The incoming connection has NiFi's FirstInFirstOutPrioritizer (as the flow definition gives the CDC
     * batches): a FlowFile rolled back keeps its queue date and so its place; penalized, it still waits
     * behind every unpenalized one.
     */
    public ProcessorRunner fifo() {
        fifo = true;
        return this;
    }

    public int queued() {
        return input.size();
    }

    /** The Penalty Duration (NiFi's default: 30 sec). */
    public ProcessorRunner penaltyDuration(final long amount, final TimeUnit unit) {
        penaltyNanos = unit.toNanos(amount);
        return this;
    }

    MockFlowFile penalize(final MockFlowFile ff) {
        return ff.penalizedUntil(System.nanoTime() + penaltyNanos);
    }

    /* The first FlowFile not penalized, in queue order (NiFi's queue sorts penalized ones after all others
     * and hands out none before its penalty ends). */
    MockFlowFile poll() {
        final long now = System.nanoTime();
        for (final Iterator<MockFlowFile> it = input.iterator(); it.hasNext(); ) {
            final MockFlowFile ff = it.next();
            if (!ff.penalizedAt(now)) {
                it.remove();
                return ff;
            }
        }
        return null;
    }

    /* A rolled-back FlowFile: behind the others (nifi-mock's queue), or with a FIFO prioritizer back to its
     * place by the date it was enqueued (NiFi puts the original record back, queue date unchanged). */
    void requeue(final MockFlowFile ff) {
        if (!fifo) {
            input.add(ff);
            return;
        }
        final long at = queueIndex.get(ff.getId());
        int i = 0;
        while (i < input.size() && queueIndex.get(input.get(i).getId()) < at) {
            i++;
        }
        input.add(i, ff);
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
