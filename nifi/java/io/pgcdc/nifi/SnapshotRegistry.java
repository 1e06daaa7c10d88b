package io.pgcdc.nifi;

import io.pgcdc.jni.SnapshotSession;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The open snapshot sessions of this JVM, by table. A session (its replication connection and exported
 * snapshot) must stay open until every chunk planned from it has been fetched; it is closed once none of
 * its tables is in SNAPSHOT_REPLICATION any more. Kept outside the processor instance so that stopping and
 * starting ListTableSnapshotChunks does not lose snapshots whose chunks are still queued. Tables are keyed by
 * the connector's slot too: two connectors in one NiFi may replicate tables of the same name. Thread-safe.
 */
final class SnapshotRegistry {
    private static final class Entry {
        final SnapshotSession session;
        final String id;    // the pgcdc.snapshot.id of its chunks
        final Set<String> pending = new HashSet<>();

        Entry(final SnapshotSession session, final String id) {
            this.session = session;
            this.id = id;
        }
    }

    private static final Map<String, Entry> BY_TABLE = new HashMap<>();

    private SnapshotRegistry() {
    }

    private static String key(final String slot, final String table) {
        return slot + "\u0000" + table;
    }

    static synchronized boolean active(final String slot, final String table) {
        return BY_TABLE.containsKey(key(slot, table));
    }

    static synchronized void register(final String slot, final SnapshotSession session, final String id,
                                      final Set<String> tables) {
        final Entry e = new Entry(session, id);
        for (final String t : tables) {
            e.pending.add(key(slot, t));
            BY_TABLE.put(key(slot, t), e);
        }
        if (e.pending.isEmpty()) {
            session.close();
        }
    }

    /** The table's snapshot is over (merged or failed): close its session once no table needs it. */
    static synchronized void finished(final String slot, final String table) {
        final Entry e = BY_TABLE.remove(key(slot, table));
        if (e != null) {
            e.pending.remove(key(slot, table));
            if (e.pending.isEmpty()) {
                e.session.close();
            }
        }
    }

    /**
     * The session of snapshot id died under NiFi (the source restarted: its exported snapshot is gone): it is
     * dropped for all its tables, so ListTableSnapshotChunks takes their snapshots again. A chunk of an older
     * attempt (id no longer registered) changes nothing.
     *
     * @return whether the table's current session was that one
     */
    static synchronized boolean lost(final String slot, final String table, final String id) {
        final Entry e = BY_TABLE.get(key(slot, table));
        if (e == null || id == null || !id.equals(e.id)) {
            return false;
        }
        BY_TABLE.values().removeIf(x -> x == e);
        e.session.close();
        return true;
    }

    /** Drops a session whose chunks never reached NiFi (the commit failed). */
    static synchronized void discard(final SnapshotSession session) {
        BY_TABLE.values().removeIf(e -> e.session == session);
        session.close();
    }
}
