/* sqlfeed.c - see sqlfeed.h. */
#include "sqlfeed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

int sqlfeed_options(int major, const char *publication, bool two_phase, bool binary, char *out, size_t outlen)
{
    int proto = major >= 16 ? 4 : major >= 15 ? 3 : major >= 14 ? 2 : 1;
    int n = snprintf(out, outlen, "'proto_version', '%d', 'publication_names', '%s'", proto, publication);
    if (major >= 14)
        n += snprintf(out + n, outlen - (size_t)n, ", 'streaming', 'on', 'messages', 'true'");
    if (binary && major >= 14)
        n += snprintf(out + n, outlen - (size_t)n, ", 'binary', 'true'");
    if (two_phase && major >= 15)
        snprintf(out + n, outlen - (size_t)n, ", 'two_phase', 'on'");
    return proto;
}

static uint64_t be64(const char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | (unsigned char)p[i];
    return v;
}

static pgcdc_code feed(PGconn *conn, const char *fn, const char *slot, const char *options, pgcdc_decoder *dec,
                       event_log *log, pgcdc_error *err)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT lsn, data FROM %s('%s', NULL, NULL, %s)", fn, slot, options);
    /* binary results: lsn as 8 bytes, data as the raw message */
    PGresult *r = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "sqlfeed: %s\n  %s", sql, PQerrorMessage(conn));
        exit(1);
    }
    /* With PGCDC_FUZZ_CORPUS_OUT set, the messages are also written as a seed
     * for tests/fuzz (options byte, then [u16 length][message] up to 64 KiB). */
    FILE *seed = NULL;
    const char *seed_dir = getenv("PGCDC_FUZZ_CORPUS_OUT");
    if (seed_dir) {
        static int nseed;
        char path[1024];
        const char *v = getenv("PGCDC_TEST_PG_VERSION");
        snprintf(path, sizeof path, "%s/seed-pg%s-%s-%d", seed_dir, v ? v : "", slot, nseed++);
        if ((seed = fopen(path, "wb")))
            fputc(2, seed);
    }
    long seed_bytes = 1;
    pgcdc_code rc = PGCDC_OK;
    for (int i = 0; i < PQntuples(r) && rc == PGCDC_OK; i++) {
        const char *data = PQgetvalue(r, i, 1);
        int len = PQgetlength(r, i, 1);
        if (len > 0)
            log->kinds_seen[(unsigned char)data[0]]++;
        if (seed && len < 65536 && seed_bytes + len + 2 <= 65536) {
            fputc(len >> 8, seed);
            fputc(len & 0xff, seed);
            fwrite(data, 1, (size_t)len, seed);
            seed_bytes += len + 2;
        }
        rc = pgcdc_decoder_feed(dec, (const uint8_t *)data, (size_t)len, be64(PQgetvalue(r, i, 0)), err);
    }
    if (seed)
        fclose(seed);
    PQclear(r);
    return rc;
}

pgcdc_code sqlfeed_drain(PGconn *conn, const char *slot, const char *options, pgcdc_decoder *dec, event_log *log,
                         pgcdc_error *err)
{
    return feed(conn, "pg_logical_slot_get_binary_changes", slot, options, dec, log, err);
}

pgcdc_code sqlfeed_peek(PGconn *conn, const char *slot, const char *options, pgcdc_decoder *dec, event_log *log,
                        pgcdc_error *err)
{
    return feed(conn, "pg_logical_slot_peek_binary_changes", slot, options, dec, log, err);
}
