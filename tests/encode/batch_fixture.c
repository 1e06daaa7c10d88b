/* batch_fixture.c - hand-made decoder events for the batch tests. */
#include "batch_fixture.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static _Alignas(8) unsigned char scratch[1 << 20];
static size_t used;

void *fx_alloc(size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (used + n > sizeof scratch) {
        fprintf(stderr, "batch_fixture: scratch area full\n");
        return NULL;
    }
    void *p = scratch + used;
    used += n;
    return p;
}

const char *fx_str(const char *s)
{
    size_t n = strlen(s);
    char *p = fx_alloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

void fx_trash(void)
{
    memset(scratch, 0xA5, sizeof scratch);
    used = 0;
}

pgcdc_value fx_null(void) { return (pgcdc_value){.kind = 'n'}; }
pgcdc_value fx_unchanged(void) { return (pgcdc_value){.kind = 'u'}; }

pgcdc_value fx_text(const char *s)
{
    size_t n = strlen(s);
    char *p = fx_alloc(n + 1);
    memcpy(p, s, n);
    p[n] = '#'; /* not NUL-terminated, as in a pgoutput payload */
    return (pgcdc_value){.kind = 't', .len = (uint32_t)n, .data = p};
}

pgcdc_value fx_bin(const void *src, size_t len)
{
    char *p = fx_alloc(len + 1);
    memcpy(p, src, len);
    return (pgcdc_value){.kind = 'b', .len = (uint32_t)len, .data = p};
}

pgcdc_tuple fx_tuple(int n, const pgcdc_value *vals)
{
    pgcdc_value *v = fx_alloc(sizeof *v * (size_t)(n ? n : 1));
    memcpy(v, vals, sizeof *v * (size_t)n);
    return (pgcdc_tuple){.ncolumns = (uint16_t)n, .values = v};
}

pgcdc_relation *fx_rel(uint32_t relid, const char *nsp, const char *name, char replident, uint32_t generation,
                       int ncols, const fx_col *cols)
{
    pgcdc_relation *r = fx_alloc(sizeof *r);
    pgcdc_column *c = fx_alloc(sizeof *c * (size_t)(ncols ? ncols : 1));
    for (int i = 0; i < ncols; i++) {
        c[i].name = fx_str(cols[i].name);
        c[i].type_oid = cols[i].type_oid;
        c[i].typmod = cols[i].typmod;
        c[i].flags = cols[i].key ? PGCDC_COLUMN_KEY : 0;
    }
    r->relid = relid;
    r->nspname = fx_str(nsp);
    r->relname = fx_str(name);
    r->replident = replident;
    r->ncolumns = (uint16_t)ncols;
    r->columns = c;
    r->generation = generation;
    return r;
}

pgcdc_txn *fx_txn(uint32_t xid, pgcdc_lsn commit_lsn, pgcdc_lsn end_lsn, int64_t commit_time_pg)
{
    pgcdc_txn *t = fx_alloc(sizeof *t);
    memset(t, 0, sizeof *t);
    t->xid = xid;
    t->commit_lsn = commit_lsn;
    t->end_lsn = end_lsn;
    t->commit_time = commit_time_pg;
    return t;
}

pgcdc_code fx_add(pgcdc_batch_builder *b, pgcdc_event *ev, pgcdc_code expect)
{
    pgcdc_error err = {0};
    pgcdc_code rc = pgcdc_batch_add_event(b, ev, &err);
    if (expect == PGCDC_OK)
        CHECK_MSG(rc == PGCDC_OK, "adding %s: %s", pgcdc_event_kind_name(ev->kind), err.message);
    else
        CHECK_MSG(rc == expect, "adding %s: got %s (%s)", pgcdc_event_kind_name(ev->kind), pgcdc_code_name(rc),
                  err.message);
    fx_trash();
    memset(ev, 0xA5, sizeof *ev);
    return rc;
}

pgcdc_batch *fx_roundtrip(pgcdc_batch_builder *b, bool split)
{
    pgcdc_buf buf = PGCDC_BUF_INIT;
    pgcdc_error err = {0};
    pgcdc_code rc = split ? pgcdc_batch_encode_split(b, &buf, &err) : pgcdc_batch_encode(b, &buf, &err);
    CHECK_MSG(rc == PGCDC_OK, "encode: %s", err.message);
    if (rc) {
        pgcdc_buf_free(&buf);
        return NULL;
    }
    pgcdc_batch *batch = NULL;
    rc = pgcdc_batch_decode((const uint8_t *)buf.data, buf.len, &batch, &err);
    /* The decoded batch must not point into the bytes it came from. */
    memset(buf.data, 0xA5, buf.len);
    pgcdc_buf_free(&buf);
    CHECK_MSG(rc == PGCDC_OK, "decode: %s", err.message);
    return rc ? NULL : batch;
}

const char *fx_value_str(const Pgcdc__V1__Value *v)
{
    static char out[4096];
    switch (v->kind_case) {
    case PGCDC__V1__VALUE__KIND_IS_NULL:
        return v->is_null ? "NULL" : "NULL(false?)";
    case PGCDC__V1__VALUE__KIND_UNCHANGED_TOAST:
        return v->unchanged_toast ? "UNCHANGED" : "UNCHANGED(false?)";
    case PGCDC__V1__VALUE__KIND_TEXT:
        snprintf(out, sizeof out, "t:%.*s", (int)v->text.len, v->text.len ? (const char *)v->text.data : "");
        return out;
    case PGCDC__V1__VALUE__KIND_BINARY: {
        int n = snprintf(out, sizeof out, "b:");
        for (size_t i = 0; i < v->binary.len && n < (int)sizeof out - 3; i++)
            n += snprintf(out + n, sizeof out - (size_t)n, "%02x", v->binary.data[i]);
        return out;
    }
    case PGCDC__V1__VALUE__KIND_INT64_VALUE:
        snprintf(out, sizeof out, "i:%" PRId64, v->int64_value);
        return out;
    case PGCDC__V1__VALUE__KIND_DOUBLE_VALUE:
        snprintf(out, sizeof out, "d:%.17g", v->double_value);
        return out;
    case PGCDC__V1__VALUE__KIND_BOOL_VALUE:
        return v->bool_value ? "B:true" : "B:false";
    default:
        return "NOT_SET";
    }
}

const char *fx_values_str(size_t n, Pgcdc__V1__Value *const *v)
{
    static char out[8192];
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && len < sizeof out - 1; i++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%s", i ? "|" : "", fx_value_str(v[i]));
    return out;
}

void fx_run_values(fx_run *r, uint32_t type_oid, int n, const pgcdc_value *vals)
{
    memset(r, 0, sizeof *r);
    CHECK_INT(pgcdc_batch_builder_new("db", &r->b, NULL), PGCDC_OK);
    /* BEGIN without trashing the scratch area: vals may point into it */
    pgcdc_txn txn = {.xid = 1, .commit_lsn = 0x100};
    pgcdc_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = PGCDC_EV_BEGIN;
    ev.txn = &txn;
    CHECK_INT(pgcdc_batch_add_event(r->b, &ev, NULL), PGCDC_OK);
    fx_col *cols = malloc(sizeof *cols * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        cols[i] = (fx_col){"c", type_oid, -1, false};
    memset(&ev, 0, sizeof ev);
    ev.kind = PGCDC_EV_INSERT;
    ev.txn = fx_txn(1, 0x100, 0, 0);
    ev.rel = fx_rel(5, "s", "t", 'd', 1, n, cols);
    ev.new_tuple = fx_tuple(n, vals);
    fx_add(r->b, &ev, PGCDC_OK);
    free(cols);
    memset(&ev, 0, sizeof ev);
    ev.kind = PGCDC_EV_COMMIT;
    ev.txn = fx_txn(1, 0x100, 0x200, 0);
    fx_add(r->b, &ev, PGCDC_OK);
    r->batch = fx_roundtrip(r->b, false);
    if (r->batch) {
        const Pgcdc__V1__ChangeBatch *m = pgcdc_batch_message(r->batch);
        if (m->n_records == 1 && m->records[0]->kind_case == PGCDC__V1__RECORD__KIND_TRANSACTION &&
            m->records[0]->transaction->n_changes == 1)
            r->change = m->records[0]->transaction->changes[0];
    }
    CHECK(r->change != NULL);
}

void fx_run_free(fx_run *r)
{
    pgcdc_batch_free(r->batch);
    pgcdc_batch_builder_free(r->b);
    memset(r, 0, sizeof *r);
}
