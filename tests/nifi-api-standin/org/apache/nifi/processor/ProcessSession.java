/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.processor;

import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.components.state.StateMap;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.processor.io.InputStreamCallback;
import org.apache.nifi.processor.io.OutputStreamCallback;

public interface ProcessSession {
    void commit();

    void commitAsync();

    default void commitAsync(final Runnable onSuccess) {
        commitAsync(onSuccess, null);
    }

    void commitAsync(Runnable onSuccess, Consumer<Throwable> onFailure);

    void rollback();

    void rollback(boolean penalize);

    FlowFile get();

    List<FlowFile> get(int maxResults);

    FlowFile create();

    FlowFile create(FlowFile parent);

    FlowFile penalize(FlowFile flowFile);

    FlowFile putAttribute(FlowFile flowFile, String key, String value);

    FlowFile putAllAttributes(FlowFile flowFile, Map<String, String> attributes);

    void transfer(FlowFile flowFile, Relationship relationship);

    void transfer(Collection<FlowFile> flowFiles, Relationship relationship);

    void remove(FlowFile flowFile);

    void remove(Collection<FlowFile> flowFiles);

    void read(FlowFile source, InputStreamCallback reader);

    InputStream read(FlowFile flowFile);

    FlowFile write(FlowFile source, OutputStreamCallback writer);

    FlowFile importFrom(InputStream source, FlowFile destination);

    void setState(Map<String, String> state, Scope scope) throws IOException;

    StateMap getState(Scope scope) throws IOException;

    boolean replaceState(StateMap oldValue, Map<String, String> newValue, Scope scope) throws IOException;

    void clearState(Scope scope) throws IOException;
}
