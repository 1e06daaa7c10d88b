package io.pgcdc.nifi.testkit;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.components.state.StateMap;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.processor.io.InputStreamCallback;
import org.apache.nifi.processor.io.OutputStreamCallback;

/**
 * A process session of the test driver, with NiFi's rules that matter here: FlowFiles are immutable
 * versions (an outdated one is refused), every FlowFile taken or created must be transferred or removed
 * before commit, transfers reach the output queues only on commit, commitAsync's callbacks run after it,
 * rollback returns the FlowFiles taken to the input queue behind the others (penalized: behind every
 * unpenalized one, and not taken again before the penalty ends). A commit the runner was told to fail
 * rolls back, runs commitAsync's onFailure and then throws (out of onTrigger), as nifi-mock's session and
 * NiFi's do.
 */
final class MockSession implements ProcessSession {
    private final ProcessorRunner runner;
    private final Map<Long, MockFlowFile> current = new LinkedHashMap<>();   // every FlowFile of the session, latest version
    private final Map<Long, MockFlowFile> taken = new LinkedHashMap<>();     // from the input queue, as taken, in order
    private final Map<Long, Relationship> transfers = new LinkedHashMap<>();
    private final List<Long> removed = new ArrayList<>();

    MockSession(final ProcessorRunner runner) {
        this.runner = runner;
    }

    private MockFlowFile check(final FlowFile ff) {
        final MockFlowFile m = (MockFlowFile) ff;
        final MockFlowFile cur = current.get(m.getId());
        if (cur == null) {
            throw new IllegalStateException(ff + " is not known in this session");
        }
        if (cur.version() != m.version()) {
            throw new IllegalStateException(ff + " is not the most recent version of this FlowFile within this session");
        }
        if (transfers.containsKey(m.getId()) || removed.contains(m.getId())) {
            throw new IllegalStateException(ff + " has already been transferred or removed");
        }
        return m;
    }

    private MockFlowFile update(final MockFlowFile next) {
        current.put(next.getId(), next);
        return next;
    }

    @Override
    public void commit() {
        failIfInjected();
        for (final Long id : current.keySet()) {
            if (!transfers.containsKey(id) && !removed.contains(id)) {
                throw new IllegalStateException("FlowFile " + current.get(id) + " transfer relationship not specified");
            }
        }
        for (final Map.Entry<Long, Relationship> t : transfers.entrySet()) {
            runner.output(t.getValue(), current.get(t.getKey()));
        }
        clear();
    }

    private void clear() {
        current.clear();
        taken.clear();
        transfers.clear();
        removed.clear();
    }

    @Override
    public void commitAsync() {
        commitAsync(null, null);
    }

    @Override
    public void commitAsync(final Runnable onSuccess, final Consumer<Throwable> onFailure) {
        try {
            commit();
        } catch (final RuntimeException e) {
            rollback(false);
            if (onFailure != null) {
                onFailure.accept(e);
            }
            throw e;
        }
        if (onSuccess != null) {
            onSuccess.run();
        }
    }

    /* A commit with FlowFiles fails when the runner was told so (before anything reaches the output queues). */
    private void failIfInjected() {
        if (!current.isEmpty() && runner.consumeCommitFailure()) {
            throw new ProcessException("commit failed (injected by the test driver)");
        }
    }

    @Override
    public void rollback() {
        rollback(false);
    }

    @Override
    public void rollback(final boolean penalize) {
        for (final MockFlowFile ff : taken.values()) {
            runner.requeue(penalize ? runner.penalize(ff) : ff);
        }
        clear();
    }

    @Override
    public FlowFile get() {
        final MockFlowFile ff = runner.poll();
        if (ff != null) {
            taken.put(ff.getId(), ff);
            current.put(ff.getId(), ff);
        }
        return ff;
    }

    @Override
    public List<FlowFile> get(final int maxResults) {
        final List<FlowFile> l = new ArrayList<>();
        FlowFile ff;
        while (l.size() < maxResults && (ff = get()) != null) {
            l.add(ff);
        }
        return l;
    }

    @Override
    public FlowFile create() {
        return update(MockFlowFile.create());
    }

    @Override
    public FlowFile create(final FlowFile parent) {
        check(parent);
        return update(MockFlowFile.of(new byte[0], parent.getAttributes()));
    }

    @Override
    public FlowFile penalize(final FlowFile flowFile) {
        return update(runner.penalize(check(flowFile)));
    }

    @Override
    public FlowFile putAttribute(final FlowFile flowFile, final String key, final String value) {
        return putAllAttributes(flowFile, Map.of(key, value));
    }

    @Override
    public FlowFile putAllAttributes(final FlowFile flowFile, final Map<String, String> attributes) {
        final MockFlowFile m = check(flowFile);
        final Map<String, String> a = new HashMap<>(m.getAttributes());
        a.putAll(attributes);
        return update(m.with(a, m.content()));
    }

    @Override
    public void transfer(final FlowFile flowFile, final Relationship relationship) {
        check(flowFile);
        if (!runner.relationships().contains(relationship)) {
            throw new IllegalArgumentException("Relationship '" + relationship + "' is not known");
        }
        transfers.put(flowFile.getId(), relationship);
    }

    @Override
    public void transfer(final Collection<FlowFile> flowFiles, final Relationship relationship) {
        for (final FlowFile ff : flowFiles) {
            transfer(ff, relationship);
        }
    }

    @Override
    public void remove(final FlowFile flowFile) {
        check(flowFile);
        removed.add(flowFile.getId());
    }

    @Override
    public void remove(final Collection<FlowFile> flowFiles) {
        for (final FlowFile ff : flowFiles) {
            remove(ff);
        }
    }

    @Override
    public void read(final FlowFile source, final InputStreamCallback reader) {
        final MockFlowFile m = check(source);
        try (InputStream in = new ByteArrayInputStream(m.content())) {
            reader.process(in);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public InputStream read(final FlowFile flowFile) {
        return new ByteArrayInputStream(check(flowFile).content());
    }

    @Override
    public FlowFile write(final FlowFile source, final OutputStreamCallback writer) {
        final MockFlowFile m = check(source);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writer.process(out);
        } catch (final IOException e) {
            throw new ProcessException(e);
        }
        return update(m.with(m.getAttributes(), out.toByteArray()));
    }

    @Override
    public FlowFile importFrom(final InputStream source, final FlowFile destination) {
        return write(destination, out -> source.transferTo(out));
    }

    @Override
    public void setState(final Map<String, String> state, final Scope scope) throws IOException {
        runner.state().setState(state, scope);
    }

    @Override
    public StateMap getState(final Scope scope) throws IOException {
        return runner.state().getState(scope);
    }

    @Override
    public boolean replaceState(final StateMap oldValue, final Map<String, String> newValue, final Scope scope) throws IOException {
        return runner.state().replace(oldValue, newValue, scope);
    }

    @Override
    public void clearState(final Scope scope) throws IOException {
        runner.state().clear(scope);
    }
}
