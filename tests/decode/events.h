/* events.h - a decoder sink for tests: renders each event as one line of text
 * ("INSERT app.items new=(1,'a',NULL)") and keeps the lines, so a test can
 * compare what came out with what it expects, in order. */
#ifndef PGT_EVENTS_H
#define PGT_EVENTS_H

#include "pgcdc/decoder.h"

typedef struct event_log {
    char **lines;
    int n, cap;
    int kinds_seen[256];        /* message kinds fed (first payload byte) */
    pgcdc_txn last_commit;      /* txn of the last COMMIT event */
    int commits;
    bool with_txn_details;      /* add xid / lsn details to BEGIN and COMMIT lines */
} event_log;

void event_log_init(event_log *log);
void event_log_clear(event_log *log);
void event_log_free(event_log *log);

/* The sink: pass &log as userdata to pgcdc_decoder_new. */
int event_log_sink(void *userdata, const pgcdc_event *ev, pgcdc_error *err);

/* Index of the first line equal to s at or after from, or -1. */
int event_log_find(const event_log *log, const char *s, int from);
/* Number of lines starting with prefix. */
int event_log_count_prefix(const event_log *log, const char *prefix);
void event_log_dump(const event_log *log, const char *title);

#endif
