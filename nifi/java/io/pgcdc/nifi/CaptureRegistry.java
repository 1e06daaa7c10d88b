package io.pgcdc.nifi;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The slots whose change reader has been opened in this JVM. A table's snapshot is only taken once the
 * CDC slot exists: the snapshot's consistent point must come after the slot's start, or the changes
 * between them would be in neither. Both processors are @PrimaryNodeOnly, so they share a JVM.
 */
final class CaptureRegistry {
    private static final Set<String> OPEN = ConcurrentHashMap.newKeySet();

    private CaptureRegistry() {
    }

    static void readerOpened(final String slot) {
        OPEN.add(slot);
    }

    static boolean slotReady(final String slot) {
        return OPEN.contains(slot);
    }
}
