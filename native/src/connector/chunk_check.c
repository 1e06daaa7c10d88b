/* chunk_check.c - a chunk descriptor arrives as FlowFile content, which
 * anyone who can edit the flow can change: before a row is read, every part
 * that decides what is read and how it is stamped is checked against what
 * the source itself says, inside the descriptor's snapshot.
 *
 *  - the snapshot point: the temporary slot named by the descriptor exists,
 *    is held by the session that exported the snapshot (the walsender holding
 *    the slot runs the transaction the snapshot is named after) and was
 *    created at the descriptor's LSN (an idle temporary slot stays confirmed
 *    at its consistent point);
 *  - the table: one this configuration replicates (publication and Included
 *    Table Names/Regex), read through its root only when partitioned;
 *  - the columns, COPY format and chunking key: the table's, described the
 *    way the session described it (catalog under the snapshot, Column Filter).
 *
 * So a changed descriptor can neither read another table or column nor stamp
 * rows with an invented position; it is refused naming what differs. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgcdc/tables.h"
#include "connector_internal.h"

#define CHANGED "the descriptor was changed after the snapshot chunk listing wrote it: pass chunk FlowFiles unchanged"

static pgcdc_code refuse(pgcdc_error *err, const char *fmt, const char *a, const char *b, const char *c)
{
    char what[600];
    snprintf(what, sizeof what, fmt, a, b, c);
    return pgcdc_error_set(err, PGCDC_EINVAL, "snapshot chunk descriptor refused: %s; " CHANGED, what);
}

static pgcdc_code query(pl_ctx *x, const char *sql, int n, const char *const *v, const char *what, PGresult **out,
                        pgcdc_error *err)
{
    *out = PQexecParams(x->src, sql, n, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(*out) == PGRES_TUPLES_OK)
        return PGCDC_OK;
    pgcdc_code rc = pl_sql_error(x->src, *out, "source", what, err);
    PQclear(*out);
    *out = NULL;
    return rc;
}

/* An exported snapshot is named after the transaction that exported it
 * ("%08X-%08X-%d": backend or proc number, local transaction id, count),
 * which pg_locks shows as that transaction's virtualxid "N/L". */
static bool snapshot_vxid(const char *name, char out[32])
{
    unsigned b, l;
    int k, used = 0;
    if (sscanf(name, "%8X-%8X-%d%n", &b, &l, &k, &used) != 3 || name[used])
        return false;
    snprintf(out, 32, "%u/%u", b, l);
    return true;
}

static pgcdc_code check_point(pl_ctx *x, const cn_chunk *c, pgcdc_error *err)
{
    static const char sql[] =
        "SELECT s.database, (s.confirmed_flush_lsn - '0/0'::pg_lsn)::text, "
        "       EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE l.pid = s.active_pid AND l.locktype = 'virtualxid' "
        "               AND l.virtualxid = $2 AND l.granted) "
        "FROM pg_catalog.pg_replication_slots s "
        "WHERE s.slot_name = $1 AND s.temporary AND s.slot_type = 'logical'";
    char vxid[32];
    if (!snapshot_vxid(c->snapshot_name, vxid))
        return refuse(err, "its snapshot name %s is not the name of an exported snapshot%s%s", c->snapshot_name, "",
                      "");
    const char *v[2] = {c->slot, vxid};
    PGresult *r;
    pgcdc_code rc = query(x, sql, 2, v, "checking a snapshot chunk's temporary slot", &r, err);
    if (rc != PGCDC_OK)
        return rc;
    char want[PGCDC_LSN_STRLEN], have[PGCDC_LSN_STRLEN];
    pgcdc_lsn_format(c->snapshot_lsn, want);
    if (PQntuples(r) != 1)
        rc = refuse(err, "it names temporary slot %s, which is not a temporary logical slot of this server, while "
                    "its snapshot %s is alive%s", c->slot, c->snapshot_name, "");
    else if (strcmp(PQgetvalue(r, 0, 0), c->database) != 0 || strcmp(x->dbname, c->database) != 0)
        rc = refuse(err, "it names database %s, but its slot is in %s and the connection in %s", c->database,
                    PQgetvalue(r, 0, 0), x->dbname);
    else if (PQgetvalue(r, 0, 2)[0] != 't')
        rc = refuse(err, "snapshot %s was not exported by the session of temporary slot %s%s", c->snapshot_name,
                    c->slot, "");
    else if (strtoull(PQgetvalue(r, 0, 1), NULL, 10) != c->snapshot_lsn)
        rc = refuse(err, "its snapshot point %s is not %s, the consistent point of snapshot %s (rows would be "
                    "stamped with a position they do not have)", want,
                    pgcdc_lsn_format((pgcdc_lsn)strtoull(PQgetvalue(r, 0, 1), NULL, 10), have), c->snapshot_name);
    PQclear(r);
    return rc;
}

/* In the publication (listed, or a partitioned table whose partitions are:
 * the rule of preflight.c's check_membership) and selected; its relkind. */
static pgcdc_code check_table(pl_ctx *x, const cn_chunk *c, pgcdc_error *err)
{
    static const char sql[] =
        "SELECT k.relkind, EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables "
        "                          WHERE pubname = $1 AND schemaname = $2 AND tablename = $3)"
        "    OR (k.relkind = 'p' AND EXISTS ("
        "        WITH RECURSIVE parts(relid) AS ("
        "            SELECT inhrelid FROM pg_catalog.pg_inherits WHERE inhparent = k.oid"
        "            UNION ALL SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN parts p ON i.inhparent = p.relid)"
        "        SELECT 1 FROM parts p JOIN pg_catalog.pg_class q ON q.oid = p.relid"
        "          JOIN pg_catalog.pg_namespace s ON s.oid = q.relnamespace"
        "          JOIN pg_catalog.pg_publication_tables pt ON pt.pubname = $1 AND pt.schemaname = s.nspname"
        "                                                 AND pt.tablename = q.relname)) "
        "FROM pg_catalog.pg_class k JOIN pg_catalog.pg_namespace n ON n.oid = k.relnamespace "
        "WHERE n.nspname = $2 AND k.relname = $3";
    pgcdc_table_selection *sel = NULL;
    pgcdc_code rc = pgcdc_table_selection_parse(x->cfg->table_names, x->cfg->table_regex, &sel, err);
    if (rc != PGCDC_OK)
        return rc;
    bool selected = pgcdc_table_selection_matches(sel, c->schema, c->table);
    pgcdc_table_selection_free(sel);
    const char *v[3] = {x->cfg->source.publication ? x->cfg->source.publication : "", c->schema, c->table};
    PGresult *r;
    if ((rc = query(x, sql, 3, v, "checking a snapshot chunk's table", &r, err)) != PGCDC_OK)
        return rc;
    if (PQntuples(r) != 1 || PQgetvalue(r, 0, 1)[0] != 't' || !selected)
        rc = refuse(err, "table %s.%s is not replicated by this configuration (publication %s and Included Table "
                    "Names/Regex)", c->schema, c->table, v[0]);
    else if ((PQgetvalue(r, 0, 0)[0] == 'p') != c->partitioned)
        rc = refuse(err, "it reads %s.%s %s, which is not how that table is read", c->schema, c->table,
                    c->partitioned ? "with its inheritance children" : "without its partitions");
    PQclear(r);
    return rc;
}

static pgcdc_code check_columns(pl_ctx *x, const cn_chunk *c, pgcdc_error *err)
{
    pl_table t;
    memset(&t, 0, sizeof t);
    snprintf(t.schema, sizeof t.schema, "%s", c->schema);
    snprintf(t.name, sizeof t.name, "%s", c->table);
    pgcdc_code rc = pl_describe(x, &t, err);
    if (rc != PGCDC_OK) {
        pl_table_clear(&t);
        return rc == PGCDC_ECONNECT || rc == PGCDC_ENOMEM ? rc : PGCDC_EINVAL;
    }
    bool same = t.ncols == c->ncols;
    for (size_t i = 0; same && i < t.ncols; i++)
        same = !strcmp(t.colnames[i], c->colnames[i]) && t.pcols[i].type_oid == c->cols[i].type_oid &&
               t.pcols[i].typmod == c->cols[i].typmod && t.pcols[i].flags == c->cols[i].flags;
    pgcdc_dest_type *types = calloc(t.ncols ? t.ncols : 1, sizeof *types);
    if (!types) {
        pl_table_clear(&t);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < t.ncols; k++)
        types[k] = t.mcols[k].type;
    bool binary = pgcdc_snapshot_binary_ok(types, (int)t.ncols, NULL);
    free(types);
    char key[80];
    snprintf(key, sizeof key, "key column %s", c->key_column);
    if (!same)
        rc = refuse(err, "its columns of %s.%s are not the table's columns under this configuration (Column "
                    "Filter)%s", c->schema, c->table, "");
    else if (binary != c->binary)
        rc = refuse(err, "it asks for COPY format %s, the table's columns need %s%s", c->binary ? "binary" : "text",
                    binary ? "binary" : "text", "");
    else if (c->chunking == PGCDC_CHUNKING_KEY && strcmp(c->key_column, t.key_column) != 0)
        rc = refuse(err, "it chunks %s.%s by %s, which is not the table's single-column key", c->schema, c->table,
                    key);
    pl_table_clear(&t);
    return rc;
}

pgcdc_code cn_chunk_check(pl_ctx *x, const cn_chunk *c, pgcdc_error *err)
{
    pgcdc_code rc = check_point(x, c, err);
    if (rc == PGCDC_OK)
        rc = check_table(x, c, err);
    if (rc == PGCDC_OK)
        rc = check_columns(x, c, err);
    return rc;
}
