package io.pgcdc.nifi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgcdc.nifi.testkit.MockFlowFile;
import io.pgcdc.nifi.testkit.Parameters;
import io.pgcdc.nifi.testkit.ProcessorRunner;
import io.pgcdc.nifi.testkit.Services;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.nifi.annotation.lifecycle.OnScheduled;
import org.apache.nifi.annotation.lifecycle.OnStopped;
import org.apache.nifi.annotation.lifecycle.OnUnscheduled;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.processor.util.StandardValidators;
import org.junit.jupiter.api.Test;

/**
 * The stand-in test kit fails where NiFi fails (behaviour checked against nifi-mock 2.0.0 and NiFi's
 * StandardProcessSession / QueuePrioritizer / StandardParameterTokenList): a test that passes with the kit
 * must not pass only because the kit is kinder than NiFi.
 */
class TestKitTest {
    static final Relationship SUCCESS = new Relationship.Builder().name("success").description("ok").build();
    static final PropertyDescriptor MODE = new PropertyDescriptor.Builder().name("Mode").description("what to do")
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR).build();

    /** Takes one FlowFile; Mode rollback / penalize rolls it back, commit-async commits with callbacks. */
    public static final class Probe extends AbstractProcessor {
        final List<String> events = new ArrayList<>();

        @Override protected List<PropertyDescriptor> getSupportedPropertyDescriptors() { return List.of(MODE); }
        @Override public Set<Relationship> getRelationships() { return Set.of(SUCCESS); }

        @OnScheduled public void scheduled() { events.add("scheduled"); }
        @OnUnscheduled public void unscheduled() { events.add("unscheduled"); }
        @OnStopped public void stopped() { events.add("stopped"); }

        @Override
        public void onTrigger(final ProcessContext context, final ProcessSession session) {
            final FlowFile ff = session.get();
            if (ff == null) {
                return;
            }
            events.add("took " + ff.getAttribute("n"));
            switch (context.getProperty(MODE).getValue()) {
                case "rollback" -> session.rollback();
                case "penalize" -> session.rollback(true);
                case "commit-async" -> {
                    session.transfer(ff, SUCCESS);
                    session.commitAsync(() -> events.add("onSuccess"), t -> events.add("onFailure " + t.getMessage()));
                    events.add("after commitAsync");
                }
                default -> session.transfer(ff, SUCCESS);
            }
        }
    }

    static ProcessorRunner runner(final Probe p, final String mode) {
        final ProcessorRunner r = new ProcessorRunner(p, new Services(new Parameters())).property("Mode", mode);
        for (int i = 1; i <= 3; i++) {
            r.enqueue(MockFlowFile.of(new byte[0], Map.of("n", Integer.toString(i))));
        }
        return r;
    }

    @Test
    void aRolledBackFlowFileGoesBehindTheOthers() {
        final Probe p = new Probe();
        final ProcessorRunner r = runner(p, "rollback");
        r.trigger(4);
        assertEquals(List.of("scheduled", "took 1", "took 2", "took 3", "took 1"), p.events);
        // with NiFi's FirstInFirstOutPrioritizer it keeps its queue date, so its place
        final Probe q = new Probe();
        final ProcessorRunner f = runner(q, "rollback").fifo();
        f.trigger(2);
        assertEquals(List.of("scheduled", "took 1", "took 1"), q.events);
    }

    @Test
    void aPenalizedFlowFileWaitsBehindEveryUnpenalizedOneUntilItsPenaltyEnds() throws Exception {
        final Probe p = new Probe();
        final ProcessorRunner r = runner(p, "penalize").fifo().penaltyDuration(300, TimeUnit.MILLISECONDS);
        r.trigger(1);                                   // 1 penalized
        r.property("Mode", "pass");
        r.enqueue(MockFlowFile.of(new byte[0], Map.of("n", "4")));
        r.trigger(5);
        assertEquals(List.of("scheduled", "took 1", "took 2", "took 3", "took 4"), p.events, "1 is still penalized");
        assertEquals(1, r.queued());
        Thread.sleep(350);
        r.trigger(1);
        assertEquals("took 1", p.events.get(p.events.size() - 1));
        final List<String> order = r.take("success").stream().map(f -> f.getAttribute("n")).toList();
        assertEquals(List.of("2", "3", "4", "1"), order, "even behind the FIFO prioritizer");
    }

    @Test
    void aFailedCommitAsyncRunsOnFailureThenThrowsAndTheFlowFileGoesBack() {
        final Probe p = new Probe();
        final ProcessorRunner r = runner(p, "commit-async");
        r.failCommits(1);
        final ProcessException e = assertThrows(ProcessException.class, () -> r.trigger(1));
        assertTrue(e.getMessage().contains("injected"), e.getMessage());
        assertEquals(List.of("scheduled", "took 1", "onFailure " + e.getMessage()), p.events, "nothing after commitAsync ran");
        assertTrue(r.take("success").isEmpty());
        assertEquals(3, r.queued(), "the FlowFile is back in the queue");
        // run() as NiFi's framework: logged on the component, not thrown
        r.failCommits(1);
        assertEquals(1, r.triggerAsFramework(1).size());
        assertTrue(r.logLines().stream().anyMatch(l -> l.startsWith("ERROR Probe[id=") && l.contains("Processing failed")),
                r.logLines().toString());
        r.trigger(1);
        assertEquals(1, r.take("success").size());
        assertTrue(p.events.contains("onSuccess"));
    }

    @Test
    void runValidatesSchedulesAndStopsUnlessToldOtherwise() {
        final Probe p = new Probe();
        final ProcessorRunner r = runner(p, "pass");
        r.run(2);
        assertEquals(List.of("scheduled", "took 1", "took 2", "unscheduled", "stopped"), p.events);
        p.events.clear();
        r.run(1, false, true);
        assertEquals(List.of("scheduled", "took 3"), p.events);
        r.property("Mode", "");
        final IllegalStateException invalid = assertThrows(IllegalStateException.class, () -> r.run(1));
        assertTrue(invalid.getMessage().contains("Mode"), invalid.getMessage());
    }

    @Test
    void aParameterWhoseValueIsEmptyLeavesThePropertyEmptyNotUnset() {
        final Parameters ps = new Parameters().set("Empty", "").set("Unset", null).set("Name", "x");
        assertEquals("", ps.resolve("#{Empty}"));
        assertNull(ps.resolve("#{Unset}"));
        assertEquals("x", ps.resolve("#{Unset}#{Name}"));
        assertEquals("", ps.resolve("#{Unset}#{Empty}"));
        final ProcessorRunner r = new ProcessorRunner(new Probe(), new Services(ps)).property("Mode", "#{Empty}");
        assertTrue(r.validate().stream().anyMatch(v -> v.getSubject().equals("Mode")), "\"\" is validated, not unset");
        r.property("Mode", "#{Unset}");
        assertTrue(r.validate().isEmpty(), r.validate().toString());
    }
}
