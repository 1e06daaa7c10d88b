package io.pgcdc.jni;

/** PostgreSQL LSN text form ("16/B374D848") to and from the 64-bit value. Thread-safe. */
public final class Lsn {
    private Lsn() {
    }

    /** @return the LSN in PostgreSQL's text form, e.g. "0/16B3748" */
    public static String format(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xffffffffL).toUpperCase();
    }

    /**
     * @param text "X/Y" in hex
     * @return the 64-bit LSN
     * @throws PgcdcException (EINVAL) if the text is not an LSN
     */
    public static long parse(String text) {
        int slash = text == null ? -1 : text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1 || slash > 8 || text.length() - slash - 1 > 8) {
            throw new PgcdcException("EINVAL", "'" + text + "' is not an LSN: expected hex 'X/Y' such as 0/16B3748");
        }
        try {
            long hi = Long.parseLong(text.substring(0, slash), 16);
            long lo = Long.parseLong(text.substring(slash + 1), 16);
            return (hi << 32) | lo;
        } catch (NumberFormatException e) {
            throw new PgcdcException("EINVAL", "'" + text + "' is not an LSN: expected hex 'X/Y' such as 0/16B3748");
        }
    }
}
