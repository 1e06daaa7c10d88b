/* plan_record.c - a snapshot session's plan, recorded on the destination.
 *
 * Chunk descriptors travel as FlowFile content, which anyone who can edit
 * the flow can change, and they are fetched on any node while the plan lives
 * in the lister's memory only. So the lister records every descriptor it
 * hands out - its session's temporary slot, table, snapshot point, chunk id,
 * range and the SHA-256 of its exact bytes - in the destination's state
 * schema, in one transaction, before any descriptor leaves it; the fetch
 * reads a fetched descriptor only when its digest is the recorded one for its
 * session, table and chunk id. A changed range, chunk id, table, column list,
 * snapshot point or slot therefore never reads a row, and the journal's
 * chunk ids and row numbers stay the plan's.
 *
 * The fetch runs per chunk on many threads: a session's record is read once
 * per process and cached (keyed by destination, slot and table); only a
 * descriptor the cache does not know costs a destination round trip. A
 * session's rows stay until a later listing of the same source (host, port,
 * database) finds its temporary slot gone (the slot dies with the session)
 * and prunes them. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "connector_internal.h"

#define PLAN_TABLE "_PGCDC_SNAPSHOT_PLAN"
#define CACHE_SLOTS 32
#define HEX_LEN (2 * SHA256_DIGEST_LENGTH)

typedef struct rec_chunk {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    char lower[PGCDC_SNAPSHOT_BOUND_MAX], upper[PGCDC_SNAPSHOT_BOUND_MAX];
} rec_chunk;

/* One session's recorded plan of one table. */
typedef struct rec_plan {
    char *dest;                  /* which destination (its description) */
    char slot[64], schema[64], table[64];
    pgcdc_lsn lsn;
    uint32_t n;                  /* chunks; chunk i is c[i] */
    rec_chunk *c;
    uint64_t used;               /* for evicting the least recently used */
} rec_plan;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static rec_plan *cache[CACHE_SLOTS];
static uint64_t cache_clock;

static void plan_free(rec_plan *p)
{
    if (p) {
        free(p->dest);
        free(p->c);
        free(p);
    }
}

static void sha256_hex(const uint8_t *data, size_t len, char out[HEX_LEN + 1])
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(data, len, d);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static bool hex_digest(const char *hex, unsigned char out[SHA256_DIGEST_LENGTH])
{
    if (strlen(hex) != HEX_LEN)
        return false;
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return false;
        out[i] = (unsigned char)v;
    }
    return true;
}

/* <state schema>."_PGCDC_SNAPSHOT_PLAN", quoted as the other state tables. */
static pgcdc_code table_name(const pgcdc_connector_config *cfg, pgcdc_buf *out, pgcdc_error *err)
{
    pgcdc_buf q = PGCDC_BUF_INIT;
    int bad = pgcdc_ident_quote(&q, PGCDC_DIALECT_POSTGRES, cfg->pl.ident_case, PGCDC_PIPELINE_STATE_SCHEMA) != 0 ||
              pgcdc_buf_printf(out, "%s.\"%s\"", q.data, PLAN_TABLE) != 0;
    pgcdc_buf_free(&q);
    return bad ? pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory") : PGCDC_OK;
}

static pgcdc_code dest_connect(const pgcdc_connector_config *cfg, PGconn **out, pgcdc_error *err)
{
    pgcdc_code rc = pgcdc_source_connect(&cfg->pl.dest, false, out, err);
    if (rc != PGCDC_OK)
        pgcdc_error_prefix(err, "destination (the record of snapshot chunk plans)");
    else /* "already exists, skipping" notices of the IF NOT EXISTS DDL are noise */
        rc = pl_exec(*out, "SET client_min_messages = warning", err);
    return rc;
}

/* ---- the listing side ---- */

static pgcdc_code setup(PGconn *dst, const pgcdc_connector_config *cfg, const char *tbl, pgcdc_error *err)
{
    pgcdc_buf sql = PGCDC_BUF_INIT, q = PGCDC_BUF_INIT;
    if (pgcdc_ident_quote(&q, PGCDC_DIALECT_POSTGRES, cfg->pl.ident_case, PGCDC_PIPELINE_STATE_SCHEMA) != 0)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    pgcdc_buf_printf(&sql, "CREATE SCHEMA IF NOT EXISTS %s", q.data);
    pgcdc_code rc = pl_exec(dst, sql.data, err);
    pgcdc_buf_reset(&sql);
    pgcdc_buf_printf(&sql,
                     "CREATE TABLE IF NOT EXISTS %s (\"slot_name\" text NOT NULL, \"source\" text NOT NULL, "
                     "\"schema_name\" text NOT NULL, "
                     "\"table_name\" text NOT NULL, \"snapshot_lsn\" pg_lsn NOT NULL, \"chunk_id\" integer NOT NULL, "
                     "\"chunk_lower\" text NOT NULL, \"chunk_upper\" text NOT NULL, "
                     "\"descriptor_sha256\" text NOT NULL, \"recorded_at\" timestamp with time zone NOT NULL "
                     "DEFAULT now(), PRIMARY KEY (\"slot_name\", \"schema_name\", \"table_name\", \"chunk_id\"))",
                     tbl);
    if (rc == PGCDC_OK)
        rc = pl_exec(dst, sql.data, err);
    pgcdc_buf_free(&sql);
    pgcdc_buf_free(&q);
    return rc;
}

/* The source's temporary slots as a text[] literal: the sessions alive. */
static pgcdc_code live_slots(PGconn *src, char **out, pgcdc_error *err)
{
    PGresult *r = PQexec(src, "SELECT coalesce(array_agg(slot_name::text), '{}')::text FROM "
                              "pg_catalog.pg_replication_slots WHERE temporary");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        pgcdc_code rc = pl_sql_error(src, r, "source", "listing the live snapshot sessions", err);
        PQclear(r);
        return rc;
    }
    *out = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return *out ? PGCDC_OK : pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
}

/* All chunks as one text per column (bounds one per line: a bound never
 * holds a newline, chunk_codec.c keeps them on one line). */
static pgcdc_code columns_of(const cn_chunk *c, const pgcdc_buf *chunks, size_t n, pgcdc_buf *digests,
                             pgcdc_buf *lowers, pgcdc_buf *uppers, pgcdc_error *err)
{
    for (size_t i = 0; i < n; i++) {
        cn_chunk d;
        pgcdc_code rc = cn_chunk_decode((const uint8_t *)chunks[i].data, chunks[i].len, &d, err);
        if (rc != PGCDC_OK)
            return rc;
        char hex[HEX_LEN + 1];
        sha256_hex((const uint8_t *)chunks[i].data, chunks[i].len, hex);
        bool ours = d.chunk_id == i && !strcmp(d.slot, c->slot);
        bool bad = pgcdc_buf_printf(digests, "%s", hex) != 0 || pgcdc_buf_printf(lowers, "%s\n", d.lower) != 0 ||
                   pgcdc_buf_printf(uppers, "%s\n", d.upper) != 0;
        cn_chunk_clear(&d);
        if (!ours)
            return pgcdc_error_set(err, PGCDC_EINVAL, "recording a snapshot plan: descriptor %zu is not chunk %zu "
                                   "of the session of temporary slot %s", i, i, c->slot);
        if (bad)
            return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory recording a snapshot plan");
    }
    return PGCDC_OK;
}

static void source_of(const pgcdc_connector_config *cfg, pgcdc_buf *out)
{
    const pgcdc_source_config *s = &cfg->pl.source;
    const char *host = pgcdc_source_config_get(s, "host"), *port = pgcdc_source_config_get(s, "port");
    const char *db = pgcdc_source_config_get(s, "dbname");
    if (!host)
        host = pgcdc_source_config_get(s, "hostaddr");
    pgcdc_buf_printf(out, "%s:%s/%s", host ? host : "", port ? port : "", db ? db : "");
}

pgcdc_code cn_plan_record_write(const pgcdc_connector_config *cfg, PGconn **dst, PGconn *src, const cn_chunk *c,
                                const pgcdc_buf *chunks, size_t n, pgcdc_error *err)
{
    pgcdc_buf tbl = PGCDC_BUF_INIT, sql = PGCDC_BUF_INIT, digests = PGCDC_BUF_INIT, lowers = PGCDC_BUF_INIT,
              uppers = PGCDC_BUF_INIT;
    char *live = NULL;
    pgcdc_buf source = PGCDC_BUF_INIT; /* whose sessions: host, port and database of the source */
    source_of(cfg, &source);
    pgcdc_code rc = source.data ? table_name(cfg, &tbl, err) : pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    if (rc == PGCDC_OK && !*dst && (rc = dest_connect(cfg, dst, err)) == PGCDC_OK)
        rc = setup(*dst, cfg, tbl.data, err);
    if (rc == PGCDC_OK)
        rc = columns_of(c, chunks, n, &digests, &lowers, &uppers, err);
    if (rc == PGCDC_OK)
        rc = live_slots(src, &live, err);
    char lsn[PGCDC_LSN_STRLEN], count[16];
    pgcdc_lsn_format(c->snapshot_lsn, lsn);
    snprintf(count, sizeof count, "%zu", n);
    if (rc == PGCDC_OK)
        rc = pl_exec(*dst, "BEGIN", err);
    if (rc == PGCDC_OK) {
        /* sessions of this source whose slot is gone: no descriptor of theirs
         * can be read any more (another source's sessions are not judged here) */
        pgcdc_buf_printf(&sql, "DELETE FROM %s WHERE \"source\" = $2 AND \"slot_name\" <> ALL (CAST($1 AS text[]))",
                         tbl.data);
        const char *v[2] = {live, source.data};
        rc = pl_exec_params(*dst, sql.data, 2, v, err);
    }
    const char *v[9] = {c->slot, c->schema, c->table, lsn, count, digests.data ? digests.data : "",
                        lowers.data ? lowers.data : "", uppers.data ? uppers.data : "", source.data};
    if (rc == PGCDC_OK) { /* a table planned again in the same session: the latest plan is the session's */
        pgcdc_buf_reset(&sql);
        pgcdc_buf_printf(&sql, "DELETE FROM %s WHERE \"slot_name\" = $1 AND \"schema_name\" = $2 AND "
                               "\"table_name\" = $3", tbl.data);
        rc = pl_exec_params(*dst, sql.data, 3, v, err);
    }
    if (rc == PGCDC_OK) {
        pgcdc_buf_reset(&sql);
        pgcdc_buf_printf(&sql,
                         "INSERT INTO %s (\"slot_name\", \"source\", \"schema_name\", \"table_name\", "
                         "\"snapshot_lsn\", \"chunk_id\", \"chunk_lower\", \"chunk_upper\", \"descriptor_sha256\") "
                         "SELECT $1, $9, $2, $3, CAST($4 AS pg_lsn), g.i, lo.b, up.b, substr($6, g.i * %d + 1, %d) "
                         "FROM generate_series(0, CAST($5 AS integer) - 1) AS g(i) "
                         "JOIN unnest(string_to_array($7, E'\\n')) WITH ORDINALITY AS lo(b, k) ON lo.k = g.i + 1 "
                         "JOIN unnest(string_to_array($8, E'\\n')) WITH ORDINALITY AS up(b, k) ON up.k = g.i + 1",
                         tbl.data, HEX_LEN, HEX_LEN);
        rc = pl_exec_params(*dst, sql.data, 9, v, err);
    }
    if (rc == PGCDC_OK)
        rc = pl_exec(*dst, "COMMIT", err);
    else if (*dst && PQtransactionStatus(*dst) != PQTRANS_IDLE)
        PQclear(PQexec(*dst, "ROLLBACK"));
    if (rc != PGCDC_OK && *dst) {
        PQfinish(*dst); /* the next plan connects (and sets up) again */
        *dst = NULL;
    }
    free(live);
    pgcdc_buf_free(&source);
    pgcdc_buf_free(&tbl);
    pgcdc_buf_free(&sql);
    pgcdc_buf_free(&digests);
    pgcdc_buf_free(&lowers);
    pgcdc_buf_free(&uppers);
    return rc;
}

/* ---- the fetching side ---- */

static bool same_key(const rec_plan *p, const char *dest, const cn_chunk *c)
{
    return !strcmp(p->dest, dest) && !strcmp(p->slot, c->slot) && !strcmp(p->schema, c->schema) &&
           !strcmp(p->table, c->table);
}

/* The cached plan's verdict on c (under cache_lock): 1 recorded, 0 differs, -1 not cached. */
static int cached(const char *dest, const cn_chunk *c, const unsigned char *digest)
{
    for (int i = 0; i < CACHE_SLOTS; i++) {
        rec_plan *p = cache[i];
        if (p && same_key(p, dest, c)) {
            p->used = ++cache_clock;
            return c->chunk_id < p->n && !memcmp(p->c[c->chunk_id].digest, digest, SHA256_DIGEST_LENGTH);
        }
    }
    return -1;
}

/* Replaces the same session's plan of the table, else takes a free or the
 * least recently used place. */
static void cache_put(rec_plan *p)
{
    int at = -1;
    for (int i = 0; i < CACHE_SLOTS && at < 0; i++)
        if (cache[i] && !strcmp(cache[i]->dest, p->dest) && !strcmp(cache[i]->slot, p->slot) &&
            !strcmp(cache[i]->schema, p->schema) && !strcmp(cache[i]->table, p->table))
            at = i;
    for (int i = 0; i < CACHE_SLOTS && at < 0; i++)
        if (!cache[i])
            at = i;
    if (at < 0) {
        at = 0;
        for (int i = 1; i < CACHE_SLOTS; i++)
            if (cache[i]->used < cache[at]->used)
                at = i;
    }
    plan_free(cache[at]);
    p->used = ++cache_clock;
    cache[at] = p;
}

/* The session's record of c's table from the destination; *out NULL if none. */
static pgcdc_code load(const pgcdc_connector_config *cfg, const char *dest, const cn_chunk *c, rec_plan **out,
                       pgcdc_error *err)
{
    *out = NULL;
    pgcdc_buf tbl = PGCDC_BUF_INIT, sql = PGCDC_BUF_INIT;
    PGconn *dst = NULL;
    PGresult *r = NULL;
    pgcdc_code rc = table_name(cfg, &tbl, err);
    if (rc == PGCDC_OK)
        rc = dest_connect(cfg, &dst, err);
    if (rc == PGCDC_OK) {
        pgcdc_buf_printf(&sql,
                         "SELECT \"chunk_id\", (\"snapshot_lsn\" - '0/0'::pg_lsn)::text, \"chunk_lower\", "
                         "\"chunk_upper\", \"descriptor_sha256\" FROM %s WHERE \"slot_name\" = $1 AND "
                         "\"schema_name\" = $2 AND \"table_name\" = $3 ORDER BY \"chunk_id\"",
                         tbl.data);
        const char *v[3] = {c->slot, c->schema, c->table};
        r = PQexecParams(dst, sql.data, 3, NULL, v, NULL, NULL, 0);
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (PQresultStatus(r) != PGRES_TUPLES_OK && !(state && !strcmp(state, "42P01"))) /* no table: no record */
            rc = pl_sql_error(dst, r, "destination", "reading the record of a snapshot chunk plan", err);
    }
    int n = rc == PGCDC_OK && PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : 0;
    rec_plan *p = n > 0 ? calloc(1, sizeof *p) : NULL;
    if (p) {
        p->dest = strdup(dest);
        p->c = calloc((size_t)n, sizeof *p->c);
        snprintf(p->slot, sizeof p->slot, "%s", c->slot);
        snprintf(p->schema, sizeof p->schema, "%s", c->schema);
        snprintf(p->table, sizeof p->table, "%s", c->table);
        p->lsn = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
        p->n = (uint32_t)n;
    }
    if (n > 0 && (!p || !p->dest || !p->c))
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    for (int i = 0; rc == PGCDC_OK && i < n; i++) {
        rec_chunk *k = &p->c[i];
        snprintf(k->lower, sizeof k->lower, "%s", PQgetvalue(r, i, 2));
        snprintf(k->upper, sizeof k->upper, "%s", PQgetvalue(r, i, 3));
        if (strtol(PQgetvalue(r, i, 0), NULL, 10) != i || !hex_digest(PQgetvalue(r, i, 4), k->digest))
            rc = pgcdc_error_set(err, PGCDC_EINVAL, "the destination's record of the snapshot plan of %s.%s "
                                 "(temporary slot %s, %s) is damaged at chunk %d: take the table's snapshot again",
                                 c->schema, c->table, c->slot, tbl.data, i);
    }
    if (rc == PGCDC_OK)
        *out = p, p = NULL;
    plan_free(p);
    PQclear(r);
    if (dst)
        PQfinish(dst);
    pgcdc_buf_free(&tbl);
    pgcdc_buf_free(&sql);
    return rc;
}

#define REFUSED "snapshot chunk descriptor refused: "
#define CHANGED "the descriptor was changed after the snapshot chunk listing wrote it: pass chunk FlowFiles unchanged"

/* What differs between c and its recorded plan, as a refusal. */
static pgcdc_code refuse(const rec_plan *p, const cn_chunk *c, pgcdc_error *err)
{
    char want[PGCDC_LSN_STRLEN], have[PGCDC_LSN_STRLEN];
    if (c->chunk_id >= p->n || c->nchunks != p->n)
        return pgcdc_error_set(err, PGCDC_EINVAL, REFUSED "it is chunk %u of %u of %s.%s, but the session of "
                               "temporary slot %s recorded a plan of %u chunks; " CHANGED, c->chunk_id, c->nchunks,
                               c->schema, c->table, c->slot, p->n);
    const rec_chunk *k = &p->c[c->chunk_id];
    if (strcmp(k->lower, c->lower) != 0 || strcmp(k->upper, c->upper) != 0)
        return pgcdc_error_set(err, PGCDC_EINVAL, REFUSED "its range [%s, %s) of %s.%s is not the recorded range "
                               "[%s, %s) of chunk %u in the session of temporary slot %s; " CHANGED,
                               c->lower[0] ? c->lower : "-", c->upper[0] ? c->upper : "-", c->schema, c->table,
                               k->lower[0] ? k->lower : "-", k->upper[0] ? k->upper : "-", c->chunk_id, c->slot);
    if (p->lsn != c->snapshot_lsn)
        return pgcdc_error_set(err, PGCDC_EINVAL, REFUSED "its snapshot point %s is not %s, the recorded point "
                               "of the session of temporary slot %s (rows would be stamped with a position they do "
                               "not have); " CHANGED, pgcdc_lsn_format(c->snapshot_lsn, have),
                               pgcdc_lsn_format(p->lsn, want), c->slot);
    return pgcdc_error_set(err, PGCDC_EINVAL, REFUSED "chunk %u of %s.%s is not byte for byte the descriptor the "
                           "session of temporary slot %s recorded (its range and snapshot point are, so its "
                           "snapshot name, database, columns, COPY format or chunking differ); " CHANGED,
                           c->chunk_id, c->schema, c->table, c->slot);
}

pgcdc_code cn_plan_record_check(const pgcdc_connector_config *cfg, const cn_chunk *c, const uint8_t *desc,
                                size_t len, bool *unrecorded, pgcdc_error *err)
{
    *unrecorded = false;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(desc, len, digest);
    pgcdc_buf dest = PGCDC_BUF_INIT;
    pgcdc_source_config_describe(&cfg->pl.dest, &dest);
    pgcdc_buf_printf(&dest, " case %d", (int)cfg->pl.ident_case);
    if (!dest.data) {
        pgcdc_buf_free(&dest);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    }
    pthread_mutex_lock(&cache_lock);
    int v = cached(dest.data, c, digest);
    pthread_mutex_unlock(&cache_lock);
    /* not cached, or different from the cache (which may hold a plan the
     * session has since replaced): the destination decides */
    rec_plan *p = NULL;
    pgcdc_code rc = v == 1 ? PGCDC_OK : load(cfg, dest.data, c, &p, err);
    if (rc == PGCDC_OK && v != 1 && !p) {
        *unrecorded = true;
        rc = pgcdc_error_set(err, PGCDC_EINVAL, REFUSED "no snapshot plan of %s.%s is recorded for the session of "
                             "temporary slot %s (destination table %s); " CHANGED, c->schema, c->table, c->slot,
                             PLAN_TABLE);
    } else if (rc == PGCDC_OK && p) {
        bool same = c->chunk_id < p->n && !memcmp(p->c[c->chunk_id].digest, digest, SHA256_DIGEST_LENGTH);
        if (!same)
            rc = refuse(p, c, err);
        pthread_mutex_lock(&cache_lock);
        cache_put(p);
        pthread_mutex_unlock(&cache_lock);
    }
    pgcdc_buf_free(&dest);
    return rc;
}
