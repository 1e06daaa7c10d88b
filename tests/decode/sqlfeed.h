/* sqlfeed.h - feeds a decoder from a live server through the SQL interface
 * (pg_logical_slot_get_binary_changes with pgoutput), which hands out exactly
 * the messages the walsender would send, deterministically. The stream tests
 * cover the walsender path itself. */
#ifndef PGT_SQLFEED_H
#define PGT_SQLFEED_H

#include <libpq-fe.h>
#include "events.h"

/* pgoutput options for a server of this major version: proto_version, the
 * publication, streaming and messages on 14+, two_phase if asked (15+),
 * binary if asked (14+). Returns the proto_version used. */
int sqlfeed_options(int major, const char *publication, bool two_phase, bool binary, char *out, size_t outlen);

/* Consumes all pending changes of the slot into the decoder; counts message
 * kinds in log->kinds_seen. Fails the test on SQL or decode errors unless
 * expect_error, in which case the decoder's error is copied to err. */
pgcdc_code sqlfeed_drain(PGconn *conn, const char *slot, const char *options, pgcdc_decoder *dec, event_log *log,
                         pgcdc_error *err);

/* The same without consuming: the slot keeps the changes for the next call. */
pgcdc_code sqlfeed_peek(PGconn *conn, const char *slot, const char *options, pgcdc_decoder *dec, event_log *log,
                        pgcdc_error *err);

#endif
