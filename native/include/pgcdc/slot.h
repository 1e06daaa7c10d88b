/* pgcdc/slot.h - logical replication slots: create with an exported snapshot,
 * reuse, and detect a slot that vanished or was recreated (a gap). */
#ifndef PGCDC_SLOT_H
#define PGCDC_SLOT_H

#include <stdbool.h>
#include <libpq-fe.h>
#include "pgcdc/error.h"
#include "pgcdc/lsn.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PGCDC_SLOT_NAME_MAX 63

typedef struct pgcdc_slot_info {
    char name[PGCDC_SLOT_NAME_MAX + 1];
    char plugin[64];
    char database[64];
    bool temporary;
    bool active;
    bool two_phase;
    pgcdc_lsn restart_lsn;
    pgcdc_lsn confirmed_flush_lsn;
    bool lost;                  /* the WAL it needs was removed (wal_status 'lost', PG 13+),
                                   or it was invalidated (no restart_lsn): unusable */
    char lookup_database[64];   /* database of the connection that looked it up ("" unknown) */
} pgcdc_slot_info;

typedef struct pgcdc_slot_created {
    char name[PGCDC_SLOT_NAME_MAX + 1];
    pgcdc_lsn consistent_point;
    char snapshot_name[64]; /* valid until the next command on the replication connection */
} pgcdc_slot_created;

/* Valid slot name: 1..63 chars of [a-z0-9_]. */
bool pgcdc_slot_name_valid(const char *name);

/* Writes a new unique name "<prefix>_<hex>" of at most 63 chars into out.
 * prefix NULL means "pgcdc"; a prefix is lower-cased and cut to fit. */
void pgcdc_slot_generate_name(const char *prefix, char out[PGCDC_SLOT_NAME_MAX + 1]);

/* Looks the slot up via pg_replication_slots on a normal or replication=database
 * connection. PGCDC_ENOTFOUND if there is none. */
pgcdc_code pgcdc_slot_lookup(PGconn *conn, const char *name, pgcdc_slot_info *out, pgcdc_error *err);

/* CREATE_REPLICATION_SLOT name LOGICAL pgoutput with an exported snapshot, on a
 * replication=database connection (two_phase needs PG 15+). */
pgcdc_code pgcdc_slot_create(PGconn *repl_conn, const char *name, bool two_phase,
                             pgcdc_slot_created *out, pgcdc_error *err);

/* The same as a TEMPORARY slot: dropped by the server when repl_conn closes
 * (or the session ends any way). For a consistent snapshot whose position is
 * known exactly while the main slot streams on: every transaction committed
 * before consistent_point is visible in the snapshot, every later one is not
 * (tables added while running, docs/runner.md). Needs one free slot of
 * max_replication_slots for as long as it lives. */
pgcdc_code pgcdc_slot_create_temporary(PGconn *repl_conn, const char *name, pgcdc_slot_created *out,
                                       pgcdc_error *err);

pgcdc_code pgcdc_slot_drop(PGconn *conn, const char *name, pgcdc_error *err);

/* Decides whether streaming from this slot can continue without loss, given
 * the position we hold as durably applied (PGCDC_INVALID_LSN: nothing yet).
 * slot is the lookup result, NULL when pgcdc_slot_lookup found none.
 *  - slot NULL and durable_lsn valid: PGCDC_EGAP (the slot vanished: changes
 *    since durable_lsn are lost); slot NULL, no durable position:
 *    PGCDC_ENOTFOUND (nothing to continue: create the slot).
 *  - confirmed_flush_lsn past a valid durable_lsn: PGCDC_EGAP (the slot was
 *    recreated or advanced by someone else: changes in between are gone).
 *  - the slot lost its WAL (invalidated): PGCDC_EGAP.
 *  - plugin not pgoutput, or the slot belongs to another database than the
 *    one it was looked up from: PGCDC_EINVAL.
 * Never "continue silently": every EGAP message says what was lost and that
 * the affected tables must be snapshotted again. */
pgcdc_code pgcdc_slot_check_continuity(const pgcdc_slot_info *slot, pgcdc_lsn durable_lsn,
                                       pgcdc_error *err);

#ifdef __cplusplus
}
#endif
#endif
