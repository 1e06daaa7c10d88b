/* slot.c - logical replication slots: names, lookup, creation with an
 * exported snapshot, dropping, and the continuity check that refuses to go on
 * when the slot no longer matches what we hold as durably applied.
 *
 * Everything here must work on a replication=database connection, which
 * speaks only the simple query protocol: no PQexecParams, so values are
 * quoted with PQescapeLiteral and identifiers with PQescapeIdentifier. */
#include "pgcdc/slot.h"
#include "pgcdc/source.h"
#include "pgcdc/log.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define GENERATED_HEX_DIGITS 16

bool pgcdc_slot_name_valid(const char *name)
{
    if (!name || !*name)
        return false;
    size_t n = 0;
    for (const char *p = name; *p; p++, n++) {
        if (n >= PGCDC_SLOT_NAME_MAX)
            return false;
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    }
    return true;
}

static uint64_t random64(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) == (ssize_t)sizeof v)
        return v;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t got = read(fd, &v, sizeof v);
        close(fd);
        if (got == (ssize_t)sizeof v)
            return v;
    }
    /* Last resort: unique enough within one host (time, pid, a counter). */
    static uint64_t counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    v = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 40) ^ ++counter;
    return v * 0x9E3779B97F4A7C15ULL;
}

void pgcdc_slot_generate_name(const char *prefix, char out[PGCDC_SLOT_NAME_MAX + 1])
{
    /* "<prefix>_<16 hex>": the prefix gets what is left of the 63 chars. */
    const size_t max_prefix = PGCDC_SLOT_NAME_MAX - 1 - GENERATED_HEX_DIGITS;
    char pfx[PGCDC_SLOT_NAME_MAX + 1];
    size_t n = 0;
    for (const char *p = prefix ? prefix : ""; *p && n < max_prefix; p++) {
        unsigned char c = (unsigned char)tolower((unsigned char)*p);
        pfx[n++] = ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') ? (char)c : '_';
    }
    pfx[n] = '\0';
    if (n == 0)
        strcpy(pfx, "pgcdc");
    snprintf(out, PGCDC_SLOT_NAME_MAX + 1, "%s_%016llx", pfx, (unsigned long long)random64());
}

/* Server errors as pgcdc codes. SQLSTATEs: 42710 duplicate_object, 42704
 * undefined_object, 53400 configuration_limit_exceeded, 55000
 * object_not_in_prerequisite_state (wal_level), 42501 insufficient_privilege,
 * 55006 object_in_use; class 08 and 57P are the connection going away. */
static pgcdc_code slot_error_text(PGconn *conn, PGresult *res, const char *what, const char *name,
                                  pgcdc_error *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
    pgcdc_source_flatten_message(msg);

    if (PQstatus(conn) != CONNECTION_OK || !state || strncmp(state, "08", 2) == 0 ||
        strncmp(state, "57P", 3) == 0)
        return pgcdc_error_set(err, PGCDC_ECONNECT, "lost the connection while %s replication slot \"%s\": %s "
                               "(interim: retry)", what, name, msg);
    if (strcmp(state, "42710") == 0)
        return pgcdc_error_set(err, PGCDC_EINVAL, "replication slot \"%s\" already exists: %s. Reuse it by "
                               "name, or choose another Replication Slot Name", name, msg);
    if (strcmp(state, "42704") == 0)
        return pgcdc_error_set(err, PGCDC_ENOTFOUND, "replication slot \"%s\" does not exist: %s", name, msg);
    if (strcmp(state, "53400") == 0)
        return pgcdc_error_set(err, PGCDC_EPREFLIGHT, "cannot create replication slot \"%s\": %s. Drop an unused "
                               "slot (SELECT pg_drop_replication_slot('<name>')) or raise "
                               "max_replication_slots and restart the server", name, msg);
    if (strcmp(state, "55000") == 0)
        return pgcdc_error_set(err, PGCDC_EPREFLIGHT, "cannot %s replication slot \"%s\": %s. Logical "
                               "replication needs wal_level = logical (ALTER SYSTEM SET wal_level = logical; "
                               "then restart the server)", what, name, msg);
    if (strcmp(state, "42501") == 0)
        return pgcdc_error_set(err, PGCDC_EPREFLIGHT, "not allowed to use replication slot \"%s\": %s. Grant the "
                               "role REPLICATION (ALTER ROLE <role> REPLICATION)", name, msg);
    if (strcmp(state, "55006") == 0)
        return pgcdc_error_set(err, PGCDC_ECONNECT, "replication slot \"%s\" is in use by another connection: "
                               "%s. If that is an earlier pgcdc run still shutting down, this passes; "
                               "otherwise stop the other consumer of the slot", name, msg);
    return pgcdc_error_set(err, PGCDC_ESQL, "%s replication slot \"%s\" failed: %s", what, name, msg);
}

/* The error with its SQLSTATE (the pipeline tells "already exists" by it). */
static pgcdc_code slot_error(PGconn *conn, PGresult *res, const char *what, const char *name, pgcdc_error *err)
{
    pgcdc_code rc = slot_error_text(conn, res, what, name, err);
    pgcdc_error_set_sqlstate(err, res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL);
    return rc;
}

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

pgcdc_code pgcdc_slot_lookup(PGconn *conn, const char *name, pgcdc_slot_info *out, pgcdc_error *err)
{
    memset(out, 0, sizeof *out);
    if (!name || !*name || strlen(name) > PGCDC_SLOT_NAME_MAX)
        return pgcdc_error_set(err, PGCDC_EINVAL, "invalid replication slot name \"%s\"", name ? name : "");
    int major = pgcdc_server_major(conn);
    char *lit = PQescapeLiteral(conn, name, strlen(name));
    if (!lit)
        return slot_error(conn, NULL, "looking up", name, err);

    /* two_phase exists from 14, wal_status from 13; a slot without a
     * restart_lsn after it had one was invalidated. */
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT slot_name, coalesce(plugin, ''), coalesce(database::text, ''), temporary, active, "
             "coalesce(restart_lsn::text, ''), coalesce(confirmed_flush_lsn::text, ''), %s, %s, "
             "current_database() "
             "FROM pg_catalog.pg_replication_slots WHERE slot_name = %s",
             major >= 14 ? "two_phase" : "false",
             major >= 13 ? "coalesce(wal_status = 'lost', false)" : "false", lit);
    PQfreemem(lit);

    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        pgcdc_code code = slot_error(conn, res, "looking up", name, err);
        PQclear(res);
        return code;
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        return pgcdc_error_set(err, PGCDC_ENOTFOUND, "replication slot \"%s\" does not exist", name);
    }
    copy_text(out->name, sizeof out->name, PQgetvalue(res, 0, 0));
    copy_text(out->plugin, sizeof out->plugin, PQgetvalue(res, 0, 1));
    copy_text(out->database, sizeof out->database, PQgetvalue(res, 0, 2));
    out->temporary = PQgetvalue(res, 0, 3)[0] == 't';
    out->active = PQgetvalue(res, 0, 4)[0] == 't';
    const char *restart = PQgetvalue(res, 0, 5);
    const char *confirmed = PQgetvalue(res, 0, 6);
    if (*restart && pgcdc_lsn_parse(restart, &out->restart_lsn) != 0)
        out->restart_lsn = PGCDC_INVALID_LSN;
    if (*confirmed && pgcdc_lsn_parse(confirmed, &out->confirmed_flush_lsn) != 0)
        out->confirmed_flush_lsn = PGCDC_INVALID_LSN;
    out->two_phase = PQgetvalue(res, 0, 7)[0] == 't';
    out->lost = PQgetvalue(res, 0, 8)[0] == 't' || out->restart_lsn == PGCDC_INVALID_LSN;
    copy_text(out->lookup_database, sizeof out->lookup_database, PQgetvalue(res, 0, 9));
    PQclear(res);
    return PGCDC_OK;
}

static pgcdc_code create_slot(PGconn *repl_conn, const char *name, bool two_phase, bool temporary,
                              pgcdc_slot_created *out, pgcdc_error *err)
{
    memset(out, 0, sizeof *out);
    if (!pgcdc_slot_name_valid(name))
        return pgcdc_error_set(err, PGCDC_EINVAL, "invalid replication slot name \"%s\": use 1 to %d characters "
                               "of a-z, 0-9 and _", name ? name : "", PGCDC_SLOT_NAME_MAX);
    int major = pgcdc_server_major(repl_conn);
    if (major < 10)
        return pgcdc_error_set(err, PGCDC_EUNSUPPORTED, "PostgreSQL %d is too old for logical replication "
                               "with pgoutput: version 10 or later is needed", major);
    /* pgoutput decodes prepared transactions from 15 (proto_version 3). */
    if (two_phase && major < 15)
        return pgcdc_error_set(err, PGCDC_EUNSUPPORTED, "two-phase decoding needs PostgreSQL 15 or later; "
                               "this server is %d", major);

    char *ident = PQescapeIdentifier(repl_conn, name, strlen(name));
    if (!ident)
        return slot_error(repl_conn, NULL, "creating", name, err);
    /* The parenthesised option list exists from 15; 10-14 only know the
     * bare EXPORT_SNAPSHOT keyword (14 has no TWO_PHASE keyword: verified). */
    char sql[256];
    if (major >= 15)
        snprintf(sql, sizeof sql, "CREATE_REPLICATION_SLOT %s%s LOGICAL pgoutput (SNAPSHOT 'export'%s)", ident,
                 temporary ? " TEMPORARY" : "", two_phase ? ", TWO_PHASE true" : "");
    else
        snprintf(sql, sizeof sql, "CREATE_REPLICATION_SLOT %s%s LOGICAL pgoutput EXPORT_SNAPSHOT", ident,
                 temporary ? " TEMPORARY" : "");
    PQfreemem(ident);

    PGresult *res = PQexec(repl_conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        pgcdc_code code = slot_error(repl_conn, res, "creating", name, err);
        PQclear(res);
        return code;
    }
    /* Columns: slot_name, consistent_point, snapshot_name, output_plugin. */
    if (PQntuples(res) != 1 || PQnfields(res) < 3 || PQgetisnull(res, 0, 1) ||
        pgcdc_lsn_parse(PQgetvalue(res, 0, 1), &out->consistent_point) != 0) {
        PQclear(res);
        return pgcdc_error_set(err, PGCDC_EPROTOCOL, "CREATE_REPLICATION_SLOT \"%s\" returned an unexpected "
                               "result (no consistent point)", name);
    }
    copy_text(out->name, sizeof out->name, PQgetvalue(res, 0, 0));
    copy_text(out->snapshot_name, sizeof out->snapshot_name, PQgetisnull(res, 0, 2) ? "" : PQgetvalue(res, 0, 2));
    PQclear(res);
    if (!out->snapshot_name[0])
        return pgcdc_error_set(err, PGCDC_EPROTOCOL, "replication slot \"%s\" was created but the server "
                               "exported no snapshot", name);
    char lsn[PGCDC_LSN_STRLEN];
    pgcdc_log(PGCDC_LOG_INFO, "created %sreplication slot %s at %s (snapshot %s)", temporary ? "temporary " : "",
              out->name, pgcdc_lsn_format(out->consistent_point, lsn), out->snapshot_name);
    return PGCDC_OK;
}

pgcdc_code pgcdc_slot_create(PGconn *repl_conn, const char *name, bool two_phase, pgcdc_slot_created *out,
                             pgcdc_error *err)
{
    return create_slot(repl_conn, name, two_phase, false, out, err);
}

pgcdc_code pgcdc_slot_create_temporary(PGconn *repl_conn, const char *name, pgcdc_slot_created *out,
                                       pgcdc_error *err)
{
    return create_slot(repl_conn, name, false, true, out, err);
}

pgcdc_code pgcdc_slot_drop(PGconn *conn, const char *name, pgcdc_error *err)
{
    if (!name || !*name || strlen(name) > PGCDC_SLOT_NAME_MAX)
        return pgcdc_error_set(err, PGCDC_EINVAL, "invalid replication slot name \"%s\"", name ? name : "");
    /* The SQL function works on normal and replication=database connections
     * alike (unlike DROP_REPLICATION_SLOT, a replication command). */
    char *lit = PQescapeLiteral(conn, name, strlen(name));
    if (!lit)
        return slot_error(conn, NULL, "dropping", name, err);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT pg_catalog.pg_drop_replication_slot(%s)", lit);
    PQfreemem(lit);
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        pgcdc_code code = slot_error(conn, res, "dropping", name, err);
        PQclear(res);
        return code;
    }
    PQclear(res);
    pgcdc_log(PGCDC_LOG_INFO, "dropped replication slot %s", name);
    return PGCDC_OK;
}

pgcdc_code pgcdc_slot_check_continuity(const pgcdc_slot_info *slot, pgcdc_lsn durable_lsn, pgcdc_error *err)
{
    char held[PGCDC_LSN_STRLEN], at[PGCDC_LSN_STRLEN];
    pgcdc_lsn_format(durable_lsn, held);

    if (!slot) {
        if (durable_lsn == PGCDC_INVALID_LSN)
            return pgcdc_error_set(err, PGCDC_ENOTFOUND, "the replication slot does not exist and nothing was "
                                   "replicated yet: create it");
        return pgcdc_error_set(err, PGCDC_EGAP, "the replication slot vanished: changes since %s (the last "
                               "position applied to the destination) are lost. Restart the affected tables "
                               "(full resync): a new slot is created and every table is snapshotted again", held);
    }
    if (strcmp(slot->plugin, "pgoutput") != 0)
        return pgcdc_error_set(err, PGCDC_EINVAL, "replication slot \"%s\" uses the output plugin \"%s\", not "
                               "pgoutput: choose another Replication Slot Name, or drop that slot if it is unused",
                               slot->name, slot->plugin[0] ? slot->plugin : "(none: a physical slot)");
    if (slot->lookup_database[0] && strcmp(slot->database, slot->lookup_database) != 0)
        return pgcdc_error_set(err, PGCDC_EINVAL, "replication slot \"%s\" belongs to database \"%s\", not \"%s\": "
                               "a logical slot serves one database only; choose another Replication Slot Name",
                               slot->name, slot->database, slot->lookup_database);
    if (slot->lost)
        return pgcdc_error_set(err, PGCDC_EGAP, "replication slot \"%s\" was invalidated: the server removed WAL it "
                               "still needed (max_slot_wal_keep_size or a conflict), so changes since %s are lost. "
                               "Drop the slot and restart the affected tables (full resync)",
                               slot->name, durable_lsn ? held : "its creation");
    if (durable_lsn != PGCDC_INVALID_LSN && slot->confirmed_flush_lsn > durable_lsn)
        return pgcdc_error_set(err, PGCDC_EGAP, "replication slot \"%s\" is at %s, past the last position applied "
                               "to the destination (%s): it was recreated or advanced by another consumer, and "
                               "the changes in between are lost. Restart the affected tables (full resync)",
                               slot->name, pgcdc_lsn_format(slot->confirmed_flush_lsn, at), held);
    return PGCDC_OK;
}
