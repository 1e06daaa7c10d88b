/* pgcdc/stream.h - the logical replication stream: START_REPLICATION with the
 * highest pgoutput proto_version the server speaks, XLogData out, standby status
 * updates in. The flush position reported to the server is exactly what the
 * caller has declared durable, never more. */
#ifndef PGCDC_STREAM_H
#define PGCDC_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pgcdc/source.h"
#include "pgcdc/lsn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pgcdc_stream pgcdc_stream;

/* Prefix of the heartbeat logical messages (pg_logical_emit_message, not
 * transactional, empty content): the decoder may drop them. */
#define PGCDC_STREAM_HEARTBEAT_PREFIX "pgcdc_heartbeat"

typedef struct pgcdc_stream_options {
    const char *slot_name;          /* required */
    const char *publication_names;  /* required: comma-separated publication names */
    pgcdc_lsn start_lsn;            /* 0: from the slot's confirmed position; else the durable
                                       position to resume from (also the initial durable position) */
    int proto_version;              /* 0: highest for the server (1 on 10-13, 2 on 14, 3 on 15, 4 on 16+) */
    bool binary;                    /* ask for binary tuple values (14+) */
    bool no_messages;               /* do not ask for logical messages (asked on 14+ by default) */
    bool no_streaming;              /* do not stream in-progress transactions (streamed on 14+ by default) */
    bool two_phase;                 /* decode prepared transactions at PREPARE (15+, slot must allow it) */
    int status_interval_ms;         /* standby status update period; 0 = 10000 */
    int heartbeat_interval_ms;      /* 0 = off; else pg_logical_emit_message on a side connection
                                       when the stream was quiet that long */
} pgcdc_stream_options;

typedef struct pgcdc_stream_msg {
    const uint8_t *data;  /* pgoutput payload; valid until the next pgcdc_stream_read */
    size_t len;
    pgcdc_lsn wal_start;  /* XLogData dataStart */
    pgcdc_lsn wal_end;    /* XLogData walEnd */
    int64_t send_time;    /* server clock, microseconds since 2000-01-01 */
} pgcdc_stream_msg;

/* Connects (replication=database) and starts streaming. Errors: PGCDC_EINVAL
 * (bad options, proto_version the server lacks), PGCDC_EUNSUPPORTED (binary
 * before 14, two_phase before 15), PGCDC_ENOTFOUND (no such slot),
 * PGCDC_ECONNECT (interim, also when another connection still holds the slot).
 * A missing publication is only noticed at the first change: the read fails
 * with PGCDC_EINVAL (PostgreSQL 18 instead skips it with a logged WARNING). */
pgcdc_code pgcdc_stream_open(const pgcdc_source_config *cfg, const pgcdc_stream_options *opt,
                             pgcdc_stream **out, pgcdc_error *err);

/* Waits up to timeout_ms (< 0: no limit) for the next XLogData message. Keepalives are
 * answered inside; a status update is sent whenever the interval passed or the
 * server asked, even if the caller is in the middle of a huge transaction (each
 * call checks the timer). PGCDC_ETIMEOUT if nothing came; PGCDC_ECONNECT if the
 * connection was lost (interim: reopen and resume from the durable position).
 * After any other error than ETIMEOUT the stream is dead: close it. When
 * heartbeat_interval_ms is set, a quiet read may block briefly on the side
 * connection (connect_timeout, statement_timeout 5 s); failures are logged. */
pgcdc_code pgcdc_stream_read(pgcdc_stream *s, int timeout_ms, pgcdc_stream_msg *msg, pgcdc_error *err);

/* Declares everything up to lsn durably applied (the commit end LSN of the
 * last durable transaction). all_durable=true also says nothing received is
 * still in flight, which lets an idle stream confirm the keepalive's WAL end
 * so a quiet slot does not pin WAL. Never moves the position backwards.
 *
 * all_durable must be false while any message returned so far is not yet
 * durable, including the chunks of a streamed in-progress transaction
 * (Stream Start .. Stream Commit). Every XLogData received after the call
 * withdraws all_durable until the caller declares it again, so the flush sent
 * never passes data the caller has not declared durable.
 *
 * Because an idle stream may confirm more than lsn, persist
 * pgcdc_stream_confirmed() as the durable position when nothing is in
 * flight; otherwise the next pgcdc_slot_check_continuity would see the slot
 * past the stored position and report a gap. */
void pgcdc_stream_set_durable(pgcdc_stream *s, pgcdc_lsn lsn, bool all_durable);

/* Sends a status update if one is due (and a heartbeat if the stream was quiet
 * long enough), without reading. For callers busy for a long time between
 * reads, e.g. while the decoder releases a big held transaction
 * (pgcdc_decoder_options.progress): the server drops a client that stays
 * silent for wal_sender_timeout. */
pgcdc_code pgcdc_stream_tick(pgcdc_stream *s, pgcdc_error *err);

/* Sends a standby status update now (reply requested if ask_reply):
 * write = the highest WAL position received (XLogData or keepalive), flush =
 * apply = the durable position (see set_durable). The server advances the
 * slot from flush only; write feeds pg_stat_replication. */
pgcdc_code pgcdc_stream_send_status(pgcdc_stream *s, bool ask_reply, pgcdc_error *err);

int pgcdc_stream_proto_version(const pgcdc_stream *s);
int pgcdc_stream_server_major(const pgcdc_stream *s);
bool pgcdc_stream_streaming_enabled(const pgcdc_stream *s);
/* The flush position last sent to the server (before the first status
 * update: the slot's confirmed position when the stream was opened, which is
 * never sent lower, as older servers would move the slot backwards). */
pgcdc_lsn pgcdc_stream_confirmed(const pgcdc_stream *s);
/* Highest WAL end seen in XLogData or keepalives. */
pgcdc_lsn pgcdc_stream_server_wal_end(const pgcdc_stream *s);

/* Sends a final status update with the durable position, then CopyDone, and closes. */
void pgcdc_stream_close(pgcdc_stream *s);

/* Highest proto_version a server of this major version speaks. */
int pgcdc_proto_version_for_server(int server_major);

#ifdef __cplusplus
}
#endif
#endif
