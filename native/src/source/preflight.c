/* preflight.c - checks that the source can be replicated before anything is
 * created, each failure with the command that fixes it.
 *
 * Everything here must work for the least privileged role the connector
 * supports: LOGIN + REPLICATION (or RDS's rds_replication) + SELECT on the
 * tables. So only catalogs and views every role can read are queried
 * (pg_settings via current_setting, pg_roles, pg_publication,
 * pg_publication_tables, pg_class, pg_index, pg_attribute, pg_inherits,
 * pg_replication_slots, pg_stat_replication - the last shows other sessions'
 * rows without details, which is all a count needs), on PostgreSQL 10 to 18.
 *
 * Every check runs; a failure does not stop the others, so one run lists
 * everything a DBA has to fix. Identifiers in the fix commands are quoted by
 * the server (quote_ident / format('%I')), so they are right for its keyword
 * list; user input reaches SQL only as parameters of PQexecParams.
 */
#include "pgcdc/preflight.h"
#include "pgcdc/log.h"
#include "common/text_safe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESTART_HINT "then restart PostgreSQL"

typedef struct table_info {
    char schema[64], table[64]; /* as in the catalog */
    char qname[300];            /* schema.table quoted for SQL, by the server */
    bool exists;
    char relkind;               /* 'r' table, 'p' partitioned table, ... */
    char replident;             /* 'd', 'n', 'f', 'i' */
    bool schema_usage, can_select;
    unsigned int oid;
} table_info;

typedef struct ctx {
    PGconn *conn;
    const pgcdc_source_config *cfg;
    pgcdc_preflight_report *rep;
    int cap;
    int version;              /* PQserverVersion */
    char role[128], role_q[160];
    char pub_q[160];
} ctx;

const char *pgcdc_check_name(pgcdc_check_id id)
{
    switch (id) {
    case PGCDC_CHECK_SERVER_VERSION: return "server_version";
    case PGCDC_CHECK_WAL_LEVEL: return "wal_level";
    case PGCDC_CHECK_REPLICATION_ROLE: return "replication_role";
    case PGCDC_CHECK_PUBLICATION: return "publication";
    case PGCDC_CHECK_TABLE_IN_PUBLICATION: return "table_in_publication";
    case PGCDC_CHECK_TABLE_HAS_KEY: return "table_has_key";
    case PGCDC_CHECK_REPLICA_IDENTITY: return "replica_identity";
    case PGCDC_CHECK_TABLE_SELECT: return "table_select";
    case PGCDC_CHECK_SLOT_HEADROOM: return "slot_headroom";
    case PGCDC_CHECK_WAL_SENDER_HEADROOM: return "wal_sender_headroom";
    case PGCDC_CHECK_COUNT: break;
    }
    return "unknown";
}

/* ---- results -------------------------------------------------------------- */

static pgcdc_check_result *add(ctx *c, pgcdc_check_id id, const char *subject, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Appends a result; NULL (and the result lost) only when memory runs out. */
static pgcdc_check_result *add(ctx *c, pgcdc_check_id id, const char *subject, bool ok, const char *fmt, ...)
{
    pgcdc_preflight_report *r = c->rep;
    if (r->nresults == c->cap) {
        int cap = c->cap ? c->cap * 2 : 16;
        pgcdc_check_result *n = realloc(r->results, sizeof *n * (size_t)cap);
        if (!n)
            return NULL;
        r->results = n;
        c->cap = cap;
    }
    pgcdc_check_result *res = &r->results[r->nresults++];
    memset(res, 0, sizeof *res);
    res->id = id;
    res->ok = ok;
    snprintf(res->subject, sizeof res->subject, "%s", subject);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
    if (!ok)
        r->nfailed++;
    return res;
}

/* ---- queries --------------------------------------------------------------- */

/* Runs a query with text parameters; NULL on failure with the server's
 * message (scrubbed, one line) in why. */
static PGresult *query(ctx *c, const char *sql, int n, const char *const *params, char *why, size_t whylen)
{
    PGresult *r = PQexecParams(c->conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK)
        return r;
    snprintf(why, whylen, "%s", PQerrorMessage(c->conn));
    char *nl = strchr(why, '\n');
    if (nl)
        *nl = '\0';
    pgcdc_source_scrub_secret(c->cfg, why, whylen);
    PQclear(r);
    return NULL;
}

static bool conn_lost(ctx *c)
{
    return PQstatus(c->conn) != CONNECTION_OK;
}

/* ---- server version -------------------------------------------------------- */

void pgcdc_preflight_check_version(int num, pgcdc_check_result *out)
{
    memset(out, 0, sizeof *out);
    out->id = PGCDC_CHECK_SERVER_VERSION;
    snprintf(out->subject, sizeof out->subject, "server");
    char ver[32];
    /* From 10 on the number is MMmmmm (major, minor); before, MMmmpp (9.6.24). */
    if (num >= 100000)
        snprintf(ver, sizeof ver, "%d.%d", num / 10000, num % 10000);
    else
        snprintf(ver, sizeof ver, "%d.%d", num / 10000, (num / 100) % 100);
    out->ok = num >= 100000;
    if (num <= 0) {
        snprintf(out->message, sizeof out->message,
                 "the server did not report its version; pgcdc needs PostgreSQL 10 or later");
    } else if (out->ok) {
        snprintf(out->message, sizeof out->message, "PostgreSQL %s", ver);
    } else {
        snprintf(out->message, sizeof out->message,
                 "PostgreSQL %s is too old: logical replication with pgoutput needs PostgreSQL 10 or later; "
                 "upgrade the server (e.g. with pg_upgrade; on RDS: modify the DB instance to a newer engine "
                 "version)", ver);
    }
}

/* ---- server-wide checks ---------------------------------------------------- */

/* wal_level, the role's right to replicate, slot and wal sender headroom. */
static pgcdc_code check_server(ctx *c)
{
    static const char sql[] =
        "SELECT current_setting('wal_level'),"
        "       current_setting('max_replication_slots')::int,"
        "       current_setting('max_wal_senders')::int,"
        "       current_user, quote_ident(current_user),"
        "       r.rolsuper, r.rolreplication,"
        "       EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'rds_replication'"
        "               AND pg_has_role(current_user, g.oid, 'MEMBER')),"
        "       (SELECT count(*) FROM pg_replication_slots),"
        "       (SELECT coalesce(string_agg(slot_name::text, ', ' ORDER BY slot_name) FILTER (WHERE NOT active), '')"
        "          FROM pg_replication_slots),"
        "       (SELECT count(*) > 0 FROM pg_replication_slots WHERE slot_name = $1),"
        "       (SELECT count(*) FROM pg_stat_replication)"
        "  FROM pg_roles r WHERE r.rolname = current_user";
    const char *params[1] = {c->cfg->slot_name};
    char why[512];
    PGresult *r = query(c, sql, 1, params, why, sizeof why);
    if (!r) {
        if (conn_lost(c))
            return PGCDC_ECONNECT;
        add(c, PGCDC_CHECK_WAL_LEVEL, "server", false, "could not read the server settings: %s", why);
        return PGCDC_OK;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        add(c, PGCDC_CHECK_REPLICATION_ROLE, "server", false, "could not find the current role in pg_roles");
        return PGCDC_OK;
    }
    const char *wal_level = PQgetvalue(r, 0, 0);
    int max_slots = atoi(PQgetvalue(r, 0, 1));
    int max_senders = atoi(PQgetvalue(r, 0, 2));
    snprintf(c->role, sizeof c->role, "%s", PQgetvalue(r, 0, 3));
    snprintf(c->role_q, sizeof c->role_q, "%s", PQgetvalue(r, 0, 4));
    bool super = PQgetvalue(r, 0, 5)[0] == 't';
    bool repl = PQgetvalue(r, 0, 6)[0] == 't';
    bool rds_repl = PQgetvalue(r, 0, 7)[0] == 't';
    int slots_used = atoi(PQgetvalue(r, 0, 8));
    char inactive[256];
    snprintf(inactive, sizeof inactive, "%s", PQgetvalue(r, 0, 9));
    bool ours_exists = PQgetvalue(r, 0, 10)[0] == 't';
    int senders_used = atoi(PQgetvalue(r, 0, 11));

    if (strcmp(wal_level, "logical") == 0)
        add(c, PGCDC_CHECK_WAL_LEVEL, "server", true, "wal_level is logical");
    else
        add(c, PGCDC_CHECK_WAL_LEVEL, "server", false,
            "wal_level is '%s'; run: ALTER SYSTEM SET wal_level = logical; " RESTART_HINT
            " (on RDS: set rds.logical_replication = 1 in the parameter group and reboot)", wal_level);

    if (super || repl || rds_repl)
        add(c, PGCDC_CHECK_REPLICATION_ROLE, c->role, true, "role \"%s\" can replicate (%s)", c->role,
            super ? "superuser" : repl ? "REPLICATION" : "member of rds_replication");
    else
        add(c, PGCDC_CHECK_REPLICATION_ROLE, c->role, false,
            "role \"%s\" cannot replicate; run: ALTER ROLE %s WITH REPLICATION; (on RDS: GRANT rds_replication "
            "TO %s;)", c->role, c->role_q, c->role_q);

    /* Slots: a free one, unless ours is already there to be reused. */
    const char *slot = c->cfg->slot_name;
    if (ours_exists) {
        add(c, PGCDC_CHECK_SLOT_HEADROOM, "server", true, "replication slot \"%s\" exists and will be reused", slot);
    } else if (slots_used < max_slots) {
        add(c, PGCDC_CHECK_SLOT_HEADROOM, "server", true, "%d of max_replication_slots = %d in use", slots_used,
            max_slots);
    } else {
        pgcdc_check_result *res = add(c, PGCDC_CHECK_SLOT_HEADROOM, "server", false,
            "no free replication slot: max_replication_slots = %d and %d %s in use; run: ALTER SYSTEM SET "
            "max_replication_slots = %d; " RESTART_HINT " (on RDS: raise max_replication_slots in the parameter "
            "group and reboot)", max_slots, slots_used, slots_used == 1 ? "is" : "are", slots_used + 1);
        if (res && inactive[0]) {
            /* Slot names are [a-z0-9_] only: safe inside the literal. */
            size_t len = strlen(res->message);
            int first = (int)strcspn(inactive, ",");
            snprintf(res->message + len, sizeof res->message - len,
                     "; or drop a slot nobody uses any more (inactive: %s), e.g.: SELECT "
                     "pg_drop_replication_slot('%.*s');", inactive, first, inactive);
        }
    }

    /* Wal senders: the stream needs one of its own. */
    if (senders_used < max_senders)
        add(c, PGCDC_CHECK_WAL_SENDER_HEADROOM, "server", true, "%d of max_wal_senders = %d in use", senders_used,
            max_senders);
    else
        add(c, PGCDC_CHECK_WAL_SENDER_HEADROOM, "server", false,
            "no free WAL sender: max_wal_senders = %d and %d %s in use; run: ALTER SYSTEM SET max_wal_senders = "
            "%d; " RESTART_HINT " (on RDS: raise max_wal_senders in the parameter group and reboot)", max_senders,
            senders_used, senders_used == 1 ? "is" : "are", senders_used + 1);
    PQclear(r);
    return PGCDC_OK;
}

/* ---- tables ------------------------------------------------------------------ */

/* One part of a table name: "quoted" (with "" for a quote) or plain up to
 * stop (a '.' for the schema part, nothing for the table part). */
static const char *name_part(const char *p, bool to_end, char out[64], bool *ok)
{
    size_t n = 0;
    *ok = false;
    if (*p == '"') {
        for (p++;; p++) {
            if (!*p)
                return p; /* unterminated */
            if (*p == '"') {
                if (p[1] != '"')
                    break;
                p++;
            }
            if (n == 63)
                return p;
            out[n++] = *p;
        }
        p++;
    } else {
        while (*p && (to_end || *p != '.')) {
            if (n == 63)
                return p;
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
    *ok = n > 0;
    return p;
}

pgcdc_code pgcdc_preflight_split_name(const char *name, char schema[64], char table[64], pgcdc_error *err)
{
    const char *s = name ? name : "";
    while (*s == ' ' || *s == '\t')
        s++;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    bool ok;
    const char *p = name_part(buf, false, schema, &ok);
    if (ok && *p == '\0') { /* no schema given */
        snprintf(table, 64, "%s", schema);
        snprintf(schema, 64, "public");
        return PGCDC_OK;
    }
    if (ok && *p == '.') {
        p = name_part(p + 1, true, table, &ok);
        if (ok && *p == '\0')
            return PGCDC_OK;
    }
    return pgcdc_error_set(err, PGCDC_EINVAL,
                           "table name \"%.*s\" is not valid: write schema.table, each part as in the catalog "
                           "(at most 63 bytes) or in double quotes, e.g. app.orders or \"App\".\"Order Items\"",
                           PGCDC_UTF8_PREC(buf, 200), buf);
}

/* Looks each table up (names quoted by the server even when the table is missing). */
static pgcdc_code lookup_tables(ctx *c, table_info *t, int n)
{
    static const char sql[] =
        "SELECT format('%I.%I', $1::text, $2::text), c.oid, c.relkind, c.relreplident,"
        "       has_schema_privilege(s.oid, 'USAGE'), has_table_privilege(c.oid, 'SELECT')"
        "  FROM (SELECT 1) one"
        "  LEFT JOIN pg_namespace s ON s.nspname = $1"
        "  LEFT JOIN pg_class c ON c.relnamespace = s.oid AND c.relname = $2";
    for (int i = 0; i < n; i++) {
        const char *params[2] = {t[i].schema, t[i].table};
        char why[512];
        PGresult *r = query(c, sql, 2, params, why, sizeof why);
        if (!r)
            return PGCDC_ESQL;
        snprintf(t[i].qname, sizeof t[i].qname, "%s", PQgetvalue(r, 0, 0));
        t[i].exists = !PQgetisnull(r, 0, 1);
        if (t[i].exists) {
            t[i].oid = (unsigned int)strtoul(PQgetvalue(r, 0, 1), NULL, 10);
            t[i].relkind = PQgetvalue(r, 0, 2)[0];
            t[i].replident = PQgetvalue(r, 0, 3)[0];
            t[i].schema_usage = PQgetvalue(r, 0, 4)[0] == 't';
            t[i].can_select = PQgetvalue(r, 0, 5)[0] == 't';
        }
        PQclear(r);
    }
    return PGCDC_OK;
}

/* The table of that name in other letter case, to suggest on a miss. */
static void case_hint(ctx *c, const table_info *t, char *out, size_t outlen)
{
    static const char sql[] =
        "SELECT format('%I.%I', s.nspname, c.relname) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace"
        " WHERE lower(s.nspname) = lower($1) AND lower(c.relname) = lower($2) AND c.relkind IN ('r', 'p')"
        " ORDER BY 1 LIMIT 1";
    const char *params[2] = {t->schema, t->table};
    char why[256];
    out[0] = '\0';
    PGresult *r = query(c, sql, 2, params, why, sizeof why);
    if (r && PQntuples(r) == 1)
        snprintf(out, outlen, " (did you mean %s?)", PQgetvalue(r, 0, 0));
    PQclear(r);
}

/* The publication: exists, and publishes what CDC needs. Returns whether it exists. */
static bool check_publication(ctx *c, const table_info *t, int n, bool *all_tables)
{
    static const char sql[] =
        "SELECT quote_ident(pubname), puballtables, pubinsert, pubupdate, pubdelete FROM pg_publication"
        " WHERE pubname = $1";
    static const char quote_sql[] = "SELECT quote_ident($1)";
    const char *pub = c->cfg->publication;
    *all_tables = false;
    if (!pub) {
        add(c, PGCDC_CHECK_PUBLICATION, "(none)", false, "Publication Name is not set; set it to the publication "
            "created for the connector");
        return false;
    }
    const char *params[1] = {pub};
    char why[512];
    PGresult *r = query(c, quote_sql, 1, params, why, sizeof why);
    snprintf(c->pub_q, sizeof c->pub_q, "%s", r ? PQgetvalue(r, 0, 0) : pub);
    PQclear(r);
    r = query(c, sql, 1, params, why, sizeof why);
    if (!r) {
        add(c, PGCDC_CHECK_PUBLICATION, pub, false, "could not look up publication \"%s\": %s", pub, why);
        return false;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        pgcdc_buf list = PGCDC_BUF_INIT;
        for (int i = 0; i < n; i++)
            if (t[i].exists)
                pgcdc_buf_printf(&list, "%s%s", list.len ? ", " : "", t[i].qname);
        /* Keep the command whole where it fits; a long list is cut visibly. */
        if (list.len > 480) {
            size_t cut = 480;
            while (cut > 0 && list.data[cut] != ',')
                cut--;
            list.len = cut;
            list.data[cut] = '\0';
            pgcdc_buf_puts(&list, ", ... (and the other included tables)");
        }
        add(c, PGCDC_CHECK_PUBLICATION, pub, false, "publication \"%s\" does not exist; run: CREATE PUBLICATION %s "
            "FOR TABLE %s;", pub, c->pub_q, list.len ? list.data : "schema.table, ...");
        pgcdc_buf_free(&list);
        return false;
    }
    *all_tables = PQgetvalue(r, 0, 1)[0] == 't';
    const char *missing[3];
    int nmissing = 0;
    if (PQgetvalue(r, 0, 2)[0] != 't')
        missing[nmissing++] = "insert";
    if (PQgetvalue(r, 0, 3)[0] != 't')
        missing[nmissing++] = "update";
    if (PQgetvalue(r, 0, 4)[0] != 't')
        missing[nmissing++] = "delete";
    PQclear(r);
    if (nmissing)
        add(c, PGCDC_CHECK_PUBLICATION, pub, false, "publication \"%s\" does not publish %s%s%s%s%s: those changes "
            "would be lost; run: ALTER PUBLICATION %s SET (publish = 'insert, update, delete');", pub, missing[0],
            nmissing > 1 ? (nmissing > 2 ? ", " : " and ") : "", nmissing > 1 ? missing[1] : "",
            nmissing > 2 ? " and " : "", nmissing > 2 ? missing[2] : "", c->pub_q);
    else
        add(c, PGCDC_CHECK_PUBLICATION, pub, true, "publication \"%s\" exists%s", pub,
            *all_tables ? " (FOR ALL TABLES)" : "");
    return true;
}

/* In the publication: listed in pg_publication_tables (which also expands FOR
 * ALL TABLES and, on 15+, FOR TABLES IN SCHEMA), or - for a partitioned table
 * published without publish_via_partition_root - through its partitions. */
static void check_membership(ctx *c, const table_info *t)
{
    static const char sql[] =
        "SELECT EXISTS (SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2 AND tablename = $3)"
        "    OR ($5 = 'p' AND EXISTS ("
        "        WITH RECURSIVE parts(relid) AS ("
        "            SELECT inhrelid FROM pg_inherits WHERE inhparent = $4::oid"
        "            UNION ALL SELECT i.inhrelid FROM pg_inherits i JOIN parts p ON i.inhparent = p.relid)"
        "        SELECT 1 FROM parts p JOIN pg_class k ON k.oid = p.relid"
        "          JOIN pg_namespace s ON s.oid = k.relnamespace"
        "          JOIN pg_publication_tables pt ON pt.pubname = $1 AND pt.schemaname = s.nspname"
        "                                       AND pt.tablename = k.relname))";
    char oid[16], kind[2] = {t->relkind, 0};
    snprintf(oid, sizeof oid, "%u", t->oid);
    const char *params[5] = {c->cfg->publication, t->schema, t->table, oid, kind};
    char why[512];
    PGresult *r = query(c, sql, 5, params, why, sizeof why);
    if (!r) {
        add(c, PGCDC_CHECK_TABLE_IN_PUBLICATION, t->qname, false, "could not check whether %s is in publication "
            "\"%s\": %s", t->qname, c->cfg->publication, why);
        return;
    }
    if (PQgetvalue(r, 0, 0)[0] == 't')
        add(c, PGCDC_CHECK_TABLE_IN_PUBLICATION, t->qname, true, "%s is in publication \"%s\"", t->qname,
            c->cfg->publication);
    else
        add(c, PGCDC_CHECK_TABLE_IN_PUBLICATION, t->qname, false, "table %s is not in publication %s; run: ALTER "
            "PUBLICATION %s ADD TABLE %s;", t->qname, c->pub_q, c->pub_q, t->qname);
    PQclear(r);
}

typedef struct index_info {
    bool found;
    char name[160];   /* quoted */
    char cols[300];   /* quoted, comma separated */
} index_info;

/* The key: primary key, replica identity index, and a unique NOT NULL index
 * that could serve as one. Then the replica identity against it.
 *
 * Decisions: a table without a primary key is fine when its replica identity
 * is an index (PostgreSQL only accepts unique, non-partial, immediate indexes
 * on NOT NULL columns there), and that index is the key. With a primary key,
 * the replica identity must be that key (DEFAULT, or USING INDEX of the
 * primary key's index) or FULL (the old row then holds the key): an identity
 * index other than the key would make deletes carry columns the rows are not
 * keyed by. REPLICA IDENTITY FULL alone gives no key, so it is not enough. */
static void check_key(ctx *c, const table_info *t)
{
    /* indnkeyatts (11+) leaves out INCLUDE columns. */
    char sql[1200];
    snprintf(sql, sizeof sql,
        "SELECT i.indisprimary, i.indisreplident, quote_ident(ic.relname),"
        "       (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.n)"
        "          FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, n)"
        "          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
        "         WHERE k.n <= %s),"
        "       i.indisunique AND i.indimmediate AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL"
        "       AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) k(attnum)"
        "                         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
        "                        WHERE NOT a.attnotnull)"
        "  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
        " WHERE i.indrelid = $1::oid AND (i.indisprimary OR i.indisreplident OR i.indisunique)"
        " ORDER BY i.indisprimary DESC, ic.relname",
        c->version >= 110000 ? "i.indnkeyatts" : "i.indnatts");
    char oid[16];
    snprintf(oid, sizeof oid, "%u", t->oid);
    const char *params[1] = {oid};
    char why[512];
    PGresult *r = query(c, sql, 1, params, why, sizeof why);
    if (!r) {
        add(c, PGCDC_CHECK_TABLE_HAS_KEY, t->qname, false, "could not read the indexes of %s: %s", t->qname, why);
        return;
    }
    index_info pk = {0}, ri = {0}, cand = {0};
    for (int i = 0; i < PQntuples(r); i++) {
        index_info *dst = PQgetvalue(r, i, 0)[0] == 't' ? &pk : PQgetvalue(r, i, 1)[0] == 't' ? &ri
                        : (!cand.found && PQgetvalue(r, i, 4)[0] == 't') ? &cand : NULL;
        if (dst) {
            dst->found = true;
            snprintf(dst->name, sizeof dst->name, "%s", PQgetvalue(r, i, 2));
            snprintf(dst->cols, sizeof dst->cols, "%s", PQgetvalue(r, i, 3));
        }
        if (PQgetvalue(r, i, 0)[0] == 't' && PQgetvalue(r, i, 1)[0] == 't')
            ri = pk; /* REPLICA IDENTITY USING INDEX <the primary key's index> */
    }
    PQclear(r);

    char rid = t->replident;
    bool ri_index = rid == 'i' && ri.found;
    if (!pk.found && !ri_index) {
        if (cand.found)
            add(c, PGCDC_CHECK_TABLE_HAS_KEY, t->qname, false, "table %s has no primary key; run: ALTER TABLE %s "
                "ADD PRIMARY KEY (%s); or, to key it by its unique index %s: ALTER TABLE %s REPLICA IDENTITY USING "
                "INDEX %s;", t->qname, t->qname, cand.cols, cand.name, t->qname, cand.name);
        else
            add(c, PGCDC_CHECK_TABLE_HAS_KEY, t->qname, false, "table %s has no primary key; run: ALTER TABLE %s "
                "ADD PRIMARY KEY (column, ...); or create a unique index on NOT NULL columns and run: ALTER TABLE "
                "%s REPLICA IDENTITY USING INDEX index_name; (REPLICA IDENTITY FULL alone gives no key)",
                t->qname, t->qname, t->qname);
        return; /* the replica identity cannot be judged without a key */
    }
    if (pk.found)
        add(c, PGCDC_CHECK_TABLE_HAS_KEY, t->qname, true, "primary key (%s)", pk.cols);
    else
        add(c, PGCDC_CHECK_TABLE_HAS_KEY, t->qname, true, "no primary key; the replica identity index %s (%s) is "
            "unique and NOT NULL and serves as the key", ri.name, ri.cols);

    if (!pk.found) { /* keyed by the identity index itself */
        add(c, PGCDC_CHECK_REPLICA_IDENTITY, t->qname, true, "REPLICA IDENTITY USING INDEX %s: the key", ri.name);
    } else if (rid == 'd' || (ri_index && strcmp(ri.name, pk.name) == 0)) {
        add(c, PGCDC_CHECK_REPLICA_IDENTITY, t->qname, true, "replica identity is the primary key");
    } else if (rid == 'f') {
        add(c, PGCDC_CHECK_REPLICA_IDENTITY, t->qname, true, "REPLICA IDENTITY FULL: works (the old row holds "
            "the primary key); DEFAULT would write less WAL");
    } else if (ri_index) {
        add(c, PGCDC_CHECK_REPLICA_IDENTITY, t->qname, false, "table %s has REPLICA IDENTITY USING INDEX %s (%s), "
            "which is not its primary key (%s): updates and deletes would identify rows by (%s) while they are "
            "keyed by (%s); run: ALTER TABLE %s REPLICA IDENTITY DEFAULT; (a unique NOT NULL index is fine as the "
            "key only for a table without a primary key)", t->qname, ri.name, ri.cols, pk.cols, ri.cols, pk.cols,
            t->qname);
    } else { /* NOTHING, or USING INDEX of an index since dropped */
        add(c, PGCDC_CHECK_REPLICA_IDENTITY, t->qname, false, "table %s has REPLICA IDENTITY %s, so updates and "
            "deletes carry no key (and fail on the source once the table is published); run: ALTER TABLE %s "
            "REPLICA IDENTITY DEFAULT;", t->qname, rid == 'n' ? "NOTHING" : "USING INDEX of a dropped index",
            t->qname);
    }
}

static void check_select(ctx *c, const table_info *t, const char *schema_q)
{
    if (t->schema_usage && t->can_select)
        add(c, PGCDC_CHECK_TABLE_SELECT, t->qname, true, "role \"%s\" can read %s", c->role, t->qname);
    else if (!t->schema_usage)
        add(c, PGCDC_CHECK_TABLE_SELECT, t->qname, false, "role \"%s\" cannot use schema %s; run: GRANT USAGE ON "
            "SCHEMA %s TO %s;%s%s%s%s%s", c->role, schema_q, schema_q, c->role_q,
            t->can_select ? "" : " GRANT SELECT ON ", t->can_select ? "" : t->qname, t->can_select ? "" : " TO ",
            t->can_select ? "" : c->role_q, t->can_select ? "" : ";");
    else
        add(c, PGCDC_CHECK_TABLE_SELECT, t->qname, false, "role \"%s\" cannot read %s; run: GRANT SELECT ON %s TO "
            "%s;", c->role, t->qname, t->qname, c->role_q);
}

static pgcdc_code check_tables(ctx *c, table_info *t, int n, bool pub_exists)
{
    for (int i = 0; i < n; i++) {
        if (!t[i].exists) {
            char hint[400];
            case_hint(c, &t[i], hint, sizeof hint);
            add(c, PGCDC_CHECK_TABLE_IN_PUBLICATION, t[i].qname, false, "table %s does not exist%s; check Included "
                "Table Names (names are as in the catalog, case-sensitive)", t[i].qname, hint);
            continue;
        }
        if (t[i].relkind != 'r' && t[i].relkind != 'p') {
            add(c, PGCDC_CHECK_TABLE_IN_PUBLICATION, t[i].qname, false, "%s is not a table (relkind '%c'): only "
                "tables and partitioned tables can be replicated; remove it from Included Table Names",
                t[i].qname, t[i].relkind);
            continue;
        }
        if (pub_exists)
            check_membership(c, &t[i]);
        check_key(c, &t[i]);
        char schema_q[160];
        const char *params[1] = {t[i].schema};
        char why[256];
        PGresult *r = query(c, "SELECT quote_ident($1)", 1, params, why, sizeof why);
        snprintf(schema_q, sizeof schema_q, "%s", r ? PQgetvalue(r, 0, 0) : t[i].schema);
        PQclear(r);
        check_select(c, &t[i], schema_q);
        if (conn_lost(c))
            return PGCDC_ECONNECT;
    }
    return PGCDC_OK;
}

/* ---- entry points ------------------------------------------------------------ */

pgcdc_code pgcdc_preflight_run(const pgcdc_source_config *cfg, const char *const *tables, int ntables,
                               pgcdc_preflight_report *report, pgcdc_error *err)
{
    memset(report, 0, sizeof *report);
    if (ntables < 0 || (ntables > 0 && !tables))
        return pgcdc_error_set(err, PGCDC_EINVAL, "preflight: no table list given");
    table_info *t = calloc((size_t)(ntables ? ntables : 1), sizeof *t);
    if (!t)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    for (int i = 0; i < ntables; i++) {
        pgcdc_code rc = pgcdc_preflight_split_name(tables[i], t[i].schema, t[i].table, err);
        if (rc != PGCDC_OK) {
            free(t);
            return pgcdc_error_prefix(err, "Included Table Names");
        }
    }

    ctx c = {.cfg = cfg, .rep = report};
    pgcdc_code rc = pgcdc_source_connect(cfg, false, &c.conn, err);
    if (rc != PGCDC_OK) {
        if (err)
            pgcdc_source_scrub_secret(cfg, err->message, sizeof err->message);
        free(t);
        return rc;
    }
    c.version = PQserverVersion(c.conn);

    pgcdc_check_result v;
    pgcdc_preflight_check_version(c.version, &v);
    pgcdc_check_result *res = add(&c, v.id, v.subject, v.ok, "%s", v.message);
    if (!res)
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");

    if (rc == PGCDC_OK && (rc = check_server(&c)) == PGCDC_ECONNECT)
        pgcdc_error_set(err, rc, "preflight: lost the connection to PostgreSQL while checking; retry");
    /* Publications and their catalogs exist from 10 on: below that the
     * version failure says everything. */
    if (rc == PGCDC_OK && c.version >= 100000) {
        rc = lookup_tables(&c, t, ntables);
        if (rc == PGCDC_OK) {
            bool all_tables;
            bool pub_exists = check_publication(&c, t, ntables, &all_tables);
            rc = check_tables(&c, t, ntables, pub_exists);
        }
        if (rc != PGCDC_OK) {
            char why[512];
            snprintf(why, sizeof why, "%s", PQerrorMessage(c.conn));
            char *nl = strchr(why, '\n');
            if (nl)
                *nl = '\0';
            pgcdc_source_scrub_secret(cfg, why, sizeof why);
            rc = conn_lost(&c) ? PGCDC_ECONNECT : rc;
            pgcdc_error_set(err, rc, "preflight: could not read the catalog: %s", why);
        }
    }
    PQfinish(c.conn);
    free(t);
    if (rc != PGCDC_OK) {
        pgcdc_preflight_report_free(report);
        return rc;
    }
    pgcdc_log(PGCDC_LOG_DEBUG, "preflight: %d checks, %d failed", report->nresults, report->nfailed);
    return PGCDC_OK;
}

void pgcdc_preflight_report_free(pgcdc_preflight_report *report)
{
    if (!report)
        return;
    free(report->results);
    memset(report, 0, sizeof *report);
}

void pgcdc_preflight_report_format(const pgcdc_preflight_report *report, bool failures_only, pgcdc_buf *out)
{
    for (int i = 0; i < report->nresults; i++) {
        const pgcdc_check_result *r = &report->results[i];
        if (failures_only && r->ok)
            continue;
        pgcdc_buf_printf(out, "%s %s %s: %s\n", r->ok ? "ok" : "FAILED", pgcdc_check_name(r->id), r->subject,
                         r->message);
    }
}
