/* connector_util.c - the connector tests' shared helpers (connector_util.h). */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "connector_util.h"

pgcdc_connector_config *cu_config(const pgt_cluster *cl, const char *srcdb, const char *pub, const char *slot,
                                  const char *dstdb, const char *table_regex)
{
    char url[200];
    pgcdc_connector_config *c;
    pgcdc_error err;
    CHECK_INT(pgcdc_connector_config_new(&c, &err), PGCDC_OK);
    snprintf(url, sizeof url, "postgresql://127.0.0.1:%d/%s", cl->port, srcdb);
    CHECK_INT(pgcdc_connector_config_set(c, "PostgreSQL Connection URL", url, &err), PGCDC_OK);
    CHECK_INT(pgcdc_connector_config_set(c, "PostgreSQL Username", "postgres", &err), PGCDC_OK);
    CHECK_INT(pgcdc_connector_config_set(c, "Publication Name", pub, &err), PGCDC_OK);
    CHECK_INT(pgcdc_connector_config_set(c, "Replication Slot Name", slot, &err), PGCDC_OK);
    snprintf(url, sizeof url, "jdbc:postgresql://127.0.0.1:%d/%s", cl->port, dstdb);
    CHECK_INT(pgcdc_connector_config_set(c, "Destination Connection URL", url, &err), PGCDC_OK);
    CHECK_INT(pgcdc_connector_config_set(c, "Destination Username", "postgres", &err), PGCDC_OK);
    CHECK_INT(pgcdc_connector_config_set(c, "Included Table Regex", table_regex, &err), PGCDC_OK);
    return c;
}

int cu_drain(pgcdc_change_reader *r, pgcdc_destination *d, int quiet_polls, int poll_ms, char *failed,
             size_t flen)
{
    pgcdc_buf b = PGCDC_BUF_INIT;
    int batches = 0, quiet = 0;
    while (quiet < quiet_polls) {
        pgcdc_batch_info info;
        pgcdc_error err;
        pgcdc_code rc = pgcdc_change_reader_poll(r, poll_ms, 64 << 10, &b, &info, &err);
        if (rc == PGCDC_ETIMEOUT) {
            quiet++;
            continue;
        }
        CHECK_MSG(rc == PGCDC_OK, "poll: %s", err.message);
        if (rc != PGCDC_OK)
            break;
        if (info.transactions == 0 && info.changes > 0) {
            /* a fragment of a transaction too large for one batch: no position */
            CHECK_INT(info.confirm_lsn, 0);
            quiet = 0;
        } else if (info.transactions == 0) {
            /* a quiet stream's position: no records, a position to write */
            CHECK_INT(info.changes, 0);
            CHECK(info.confirm_lsn > 0);
            quiet++;
        } else {
            quiet = 0;
            batches++;
        }
        CHECK(info.transactions == 0 || info.confirm_lsn >= info.first_lsn);
        pgcdc_lsn durable = 0;
        rc = pgcdc_destination_write_journal(d, (const uint8_t *)b.data, b.len, &durable, &err);
        CHECK_MSG(rc == PGCDC_OK, "write journal: %s", err.message);
        if (failed) {
            const char *names[8];
            size_t nf = pgcdc_destination_write_failures(d, names, 8);
            for (size_t i = 0; i < nf && i < 8; i++) {
                size_t l = strlen(failed);
                snprintf(failed + l, flen - l, "%s%s", l ? "," : "", names[i]);
            }
        }
        CHECK(durable >= info.confirm_lsn);
        pgcdc_change_reader_confirm(r, durable);
    }
    pgcdc_buf_free(&b);
    return batches;
}
