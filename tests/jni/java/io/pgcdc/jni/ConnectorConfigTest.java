package io.pgcdc.jni;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The configuration and the error path, without a server. */
class ConnectorConfigTest {
    private static ConnectorConfig complete() {
        return new ConnectorConfig()
                .set("PostgreSQL Connection URL", "jdbc:postgresql://127.0.0.1:1/src")
                .set("PostgreSQL Username", "postgres")
                .set("PostgreSQL Password", "pw-not-in-messages")
                .set("Publication Name", "pub")
                .set("Replication Slot Name", "slot")
                .set("Destination Connection URL", "postgresql://127.0.0.1:1/dst")
                .set("Destination Username", "postgres")
                .set("Included Table Names", "public.t");
    }

    @Test
    void unknownParameterBecomesPgcdcExceptionWithTheNativeMessage() {
        try (ConnectorConfig c = new ConnectorConfig()) {
            PgcdcException e = assertThrows(PgcdcException.class, () -> c.set("PostgreSQL Conection URL", "x"));
            assertEquals("EINVAL", e.code());
            assertFalse(e.isInterim());
            assertTrue(e.getMessage().contains("PostgreSQL Connection URL"), e.getMessage());
        }
    }

    @Test
    void badValueIsRejected() {
        try (ConnectorConfig c = new ConnectorConfig()) {
            PgcdcException e = assertThrows(PgcdcException.class, () -> c.set("Ingestion Type", "sometimes"));
            assertEquals("EINVAL", e.code());
            assertTrue(e.getMessage().contains("Ingestion Type"), e.getMessage());
        }
    }

    @Test
    void validateSaysWhatIsMissingAndNeverThePassword() {
        try (ConnectorConfig c = complete()) {
            assertDoesNotThrow(c::validate);
            c.set("Destination Connection URL", null); // null = not set
            PgcdcException e = assertThrows(PgcdcException.class, c::validate);
            assertEquals("EINVAL", e.code());
            assertTrue(e.getMessage().contains("Destination Connection URL"), e.getMessage());
            assertFalse(e.getMessage().contains("pw-not-in-messages"));
            assertDoesNotThrow(c::validateSource);
            c.set("PostgreSQL Connection URL", "");
            assertThrows(PgcdcException.class, c::validateSource);
        }
    }

    @Test
    void closeTwiceIsFineAndUseAfterCloseThrows() {
        ConnectorConfig c = complete();
        c.close();
        c.close();
        assertThrows(IllegalStateException.class, () -> c.set("Publication Name", "p"));
        assertThrows(IllegalStateException.class, c::validate);
        assertThrows(IllegalStateException.class, () -> Destination.open(c));
    }

    @Test
    void unreachableServerIsInterim() {
        try (ConnectorConfig c = complete()) {
            PgcdcException e = assertThrows(PgcdcException.class, () -> ChangeReader.open(c, "slot", 0));
            assertEquals("ECONNECT", e.code());
            assertTrue(e.isInterim());
            assertFalse(e.getMessage().contains("pw-not-in-messages"), e.getMessage());
            e = assertThrows(PgcdcException.class, () -> Destination.open(c));
            assertTrue(e.isInterim(), e.toString());
        }
    }

    @Test
    void garbageChunkDescriptorIsEinval() {
        try (ConnectorConfig c = complete()) {
            PgcdcException e = assertThrows(PgcdcException.class,
                    () -> SnapshotFetcher.fetchChunk(c, "not a chunk".getBytes()));
            assertEquals("EINVAL", e.code());
            assertTrue(e.getMessage().contains("chunk descriptor"), e.getMessage());
        }
    }

    @Test
    void lsnText() {
        assertEquals("16/B374D848", Lsn.format(Lsn.parse("16/B374D848")));
        assertEquals(0x16B374D848L, Lsn.parse("16/B374D848"));
        assertThrows(PgcdcException.class, () -> Lsn.parse("nope"));
    }
}
