/* batch_builder.c - the batch builder: lifetime, counters, and the helpers
 * that copy values, columns and names into its arena and keep records in order. */
#include "batch_internal.h"

#include <stdlib.h>
#include <string.h>

#include "batch_value.h"

/* Rough encoded size of a Transaction's fields other than its changes and
 * messages (xid, LSNs, time, framing; origin LSN with an origin). */
static size_t txn_header_bytes(const batch_txn *t)
{
    return 40 + batch_string_size(t->gid) + (t->origin_name ? 10 + batch_string_size(t->origin_name) : 0);
}

pgcdc_code batch_oom(pgcdc_error *err, const char *what)
{
    return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory building a change batch (%s)", what);
}

/* ------------------------------------------------------------- lifetime */

pgcdc_code pgcdc_batch_builder_new(const char *source_database, pgcdc_batch_builder **out, pgcdc_error *err)
{
    *out = NULL;
    pgcdc_batch_builder *b = calloc(1, sizeof *b);
    if (!b)
        return batch_oom(err, "builder");
    if (source_database && *source_database && !(b->source_database = strdup(source_database))) {
        free(b);
        return batch_oom(err, "builder");
    }
    pgcdc_arena_init(&b->arena, 1024 * 1024);
    b->typed_values = true;
    *out = b;
    return PGCDC_OK;
}

static void clear_header(pgcdc_batch_builder *b)
{
    free(b->hdr.gid);
    free(b->hdr.origin_name);
    memset(&b->hdr, 0, sizeof b->hdr);
}

void pgcdc_batch_builder_free(pgcdc_batch_builder *b)
{
    if (!b)
        return;
    clear_header(b);
    pgcdc_arena_free(&b->arena);
    free(b->relnames);
    for (size_t i = 0; i < b->ntypes; i++) {
        free(b->types[i].schema);
        free(b->types[i].name);
    }
    free(b->types);
    free(b->source_database);
    free(b);
}

void pgcdc_batch_builder_set_typed_values(pgcdc_batch_builder *b, bool on)
{
    b->typed_values = on;
}

/* Opens the next fragment of the transaction described by b->hdr. */
static int open_fragment(pgcdc_batch_builder *b)
{
    static const batch_record record_init = PGCDC__V1__RECORD__INIT;
    static const batch_txn txn_init = PGCDC__V1__TRANSACTION__INIT;
    batch_record *rec = BATCH_NEW(b, batch_record);
    batch_txn *t = BATCH_NEW(b, batch_txn);
    if (!rec || !t)
        return -1;
    *rec = record_init;
    *t = txn_init;
    rec->kind_case = PGCDC__V1__RECORD__KIND_TRANSACTION;
    rec->transaction = t;
    t->xid = b->hdr.xid;
    t->commit_lsn = b->hdr.commit_lsn;
    t->commit_time_unix_us = b->hdr.commit_time_unix_us;
    t->streamed = b->hdr.streamed;
    t->prepared = b->hdr.prepared;
    t->begin_lsn = b->hdr.begin_lsn;
    t->origin_lsn = b->hdr.origin_lsn;
    t->fragment_index = b->hdr.fragment_index;
    if ((b->hdr.gid && !(t->gid = batch_strdup(b, b->hdr.gid))) ||
        (b->hdr.origin_name && !(t->origin_name = batch_strdup(b, b->hdr.origin_name))))
        return -1;
    int rc;
    BATCH_PUSH(b, b->records, b->nrecords, b->records_cap, rec, rc);
    if (rc)
        return -1;
    b->txn = t;
    b->changes_cap = b->messages_cap = 0;
    b->bytes += txn_header_bytes(t);
    return 0;
}

int batch_open_txn(pgcdc_batch_builder *b, const batch_txn_header *h)
{
    clear_header(b);
    b->hdr = *h;
    b->hdr.gid = NULL;
    b->hdr.origin_name = NULL;
    if (h->gid && !(b->hdr.gid = strdup(h->gid)))
        return -1;
    return open_fragment(b);
}

void batch_close_txn(pgcdc_batch_builder *b, pgcdc_lsn end_lsn, int64_t commit_time_unix_us)
{
    batch_txn *t = b->txn;
    t->end_lsn = end_lsn;
    t->commit_time_unix_us = commit_time_unix_us;
    t->continues = 0;
    /* A transaction that touched nothing we replicate (PostgreSQL < 15 sends
     * those) leaves no record, only a confirm position. */
    if (t->n_changes == 0 && t->n_messages == 0 && t->fragment_index == 0) {
        b->nrecords--;
        b->bytes -= txn_header_bytes(t);
    }
    b->confirm_lsn = end_lsn;
    b->txn = NULL;
    clear_header(b);
}

int batch_split_txn(pgcdc_batch_builder *b)
{
    b->txn->continues = 1;
    b->hdr.fragment_index++;
    return open_fragment(b);
}

void pgcdc_batch_builder_reset(pgcdc_batch_builder *b)
{
    bool open = b->txn != NULL;
    pgcdc_arena_reset(&b->arena);
    b->records = NULL;
    b->nrecords = b->records_cap = 0;
    b->txn = NULL;
    b->open_rows = NULL;
    b->rows_cap = 0;
    if (b->relnames)
        memset(b->relnames, 0, b->relnames_cap * sizeof *b->relnames);
    b->nrelnames = 0;
    b->bytes = 0;
    b->nchanges = 0;
    b->nrows = 0;
    b->confirm_lsn = 0;
    /* The open transaction goes on in the next batch. Out of memory here
     * leaves it closed; the next change then fails with a clear error. */
    if (open && open_fragment(b) != 0)
        clear_header(b);
}

/* ------------------------------------------------------------- counters */

size_t pgcdc_batch_builder_bytes(const pgcdc_batch_builder *b) { return b->bytes + 16; }
size_t pgcdc_batch_builder_records(const pgcdc_batch_builder *b) { return b->nrecords; }
uint64_t pgcdc_batch_builder_changes(const pgcdc_batch_builder *b) { return b->nchanges; }
uint64_t pgcdc_batch_builder_snapshot_rows(const pgcdc_batch_builder *b) { return b->nrows; }
bool pgcdc_batch_builder_in_transaction(const pgcdc_batch_builder *b) { return b->txn != NULL; }
pgcdc_lsn pgcdc_batch_builder_confirm_lsn(const pgcdc_batch_builder *b) { return b->confirm_lsn; }

/* -------------------------------------------------------------- helpers */

void *batch_grow(pgcdc_arena *a, void *arr, size_t n, size_t *cap)
{
    size_t ncap = *cap ? *cap * 2 : 8;
    void **p = pgcdc_arena_alloc(a, ncap * sizeof(void *));
    if (!p)
        return NULL;
    if (n)
        memcpy(p, arr, n * sizeof(void *));
    *cap = ncap;
    return p;
}

char *batch_strdup(pgcdc_batch_builder *b, const char *s)
{
    return s ? pgcdc_arena_strdup(&b->arena, s) : NULL;
}

size_t batch_string_size(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n ? batch_field_size(n) : 0;
}

/* relid's names, copied into the arena once per batch. */
int batch_relnames(pgcdc_batch_builder *b, uint32_t relid, const char *nspname, const char *relname,
                   char **schema, char **table)
{
    if (!nspname)
        nspname = "";
    if (!relname)
        relname = "";
    batch_relname *slot = NULL;
    if (relid != 0) {
        if (b->nrelnames * 2 >= b->relnames_cap) {
            size_t ncap = b->relnames_cap ? b->relnames_cap * 2 : 64;
            batch_relname *n = calloc(ncap, sizeof *n);
            if (!n)
                return -1;
            for (size_t i = 0; i < b->relnames_cap; i++) {
                if (!b->relnames[i].relid)
                    continue;
                size_t h = (b->relnames[i].relid * 2654435761u) & (ncap - 1);
                while (n[h].relid)
                    h = (h + 1) & (ncap - 1);
                n[h] = b->relnames[i];
            }
            free(b->relnames);
            b->relnames = n;
            b->relnames_cap = ncap;
        }
        size_t h = (relid * 2654435761u) & (b->relnames_cap - 1);
        while (b->relnames[h].relid && b->relnames[h].relid != relid)
            h = (h + 1) & (b->relnames_cap - 1);
        slot = &b->relnames[h];
        /* A rename gives the relid new names: compare, do not trust the id alone. */
        if (slot->relid == relid && strcmp(slot->schema, nspname) == 0 && strcmp(slot->table, relname) == 0) {
            *schema = slot->schema;
            *table = slot->table;
            return 0;
        }
    }
    char *s = batch_strdup(b, nspname), *t = batch_strdup(b, relname);
    if (!s || !t)
        return -1;
    if (slot) {
        if (!slot->relid)
            b->nrelnames++;
        slot->relid = relid;
        slot->schema = s;
        slot->table = t;
    }
    *schema = s;
    *table = t;
    return 0;
}

int batch_add_toplevel(pgcdc_batch_builder *b, batch_record *rec)
{
    int rc;
    if (b->txn && (b->txn->n_changes || b->txn->n_messages) && batch_split_txn(b) != 0)
        return -1;
    /* Either no transaction is open, or its (last) record has no content yet:
     * the new record goes before it. */
    BATCH_PUSH(b, b->records, b->nrecords, b->records_cap, rec, rc);
    if (rc)
        return -1;
    if (b->txn) {
        b->records[b->nrecords - 1] = b->records[b->nrecords - 2];
        b->records[b->nrecords - 2] = rec;
    }
    return 0;
}

batch_column *batch_copy_column(pgcdc_batch_builder *b, const pgcdc_column *c)
{
    static const batch_column column_init = PGCDC__V1__COLUMN__INIT;
    batch_column *col = BATCH_NEW(b, batch_column);
    if (!col)
        return NULL;
    *col = column_init;
    if (!(col->name = batch_strdup(b, c->name ? c->name : "")))
        return NULL;
    col->type_oid = c->type_oid;
    col->typmod = c->typmod;
    col->is_key = (c->flags & PGCDC_COLUMN_KEY) != 0;
    for (size_t i = 0; i < b->ntypes; i++) {
        if (b->types[i].oid == c->type_oid) {
            if (!(col->type_schema = batch_strdup(b, b->types[i].schema)) ||
                !(col->type_name = batch_strdup(b, b->types[i].name)))
                return NULL;
            break;
        }
    }
    b->bytes += batch_field_size(batch_string_size(col->name) + 12 + batch_string_size(col->type_schema) +
                                 batch_string_size(col->type_name));
    return col;
}

pgcdc_code batch_copy_values(pgcdc_batch_builder *b, const pgcdc_tuple *t, const pgcdc_column *cols, int ncols,
                             batch_value ***out, size_t *nout, pgcdc_error *err)
{
    static const batch_value value_init = PGCDC__V1__VALUE__INIT;
    size_t n = t->ncolumns;
    *out = NULL;
    *nout = 0;
    if (n == 0)
        return PGCDC_OK;
    if (!cols)
        ncols = 0;

    /* One arena block per tuple: the pointer array, the Value structs, then
     * the bytes of the values kept as text or binary. */
    size_t data = 0;
    for (size_t i = 0; i < n; i++)
        if (t->values[i].kind == 't' || t->values[i].kind == 'b')
            data += t->values[i].len;
    size_t head = n * (sizeof(batch_value *) + sizeof(batch_value));
    char *mem = pgcdc_arena_alloc(&b->arena, head + data);
    if (!mem)
        return batch_oom(err, "values");
    batch_value **ptrs = (batch_value **)(void *)mem;
    batch_value *vals = (batch_value *)(void *)(mem + n * sizeof(batch_value *));
    char *dp = mem + head;

    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        const pgcdc_value *in = &t->values[i];
        batch_value *v = &vals[i];
        *v = value_init;
        size_t inner;
        switch (in->kind) {
        case 'n':
            v->kind_case = PGCDC__V1__VALUE__KIND_IS_NULL;
            v->is_null = 1;
            inner = 2;
            break;
        case 'u':
            v->kind_case = PGCDC__V1__VALUE__KIND_UNCHANGED_TOAST;
            v->unchanged_toast = 1;
            inner = 2;
            break;
        case 't':
            if (b->typed_values && (int)i < ncols && batch_value_make_typed(cols[i].type_oid, in->data, in->len, v)) {
                if (v->kind_case == PGCDC__V1__VALUE__KIND_INT64_VALUE)
                    inner = 1 + batch_varint_size(((uint64_t)v->int64_value << 1) ^ (uint64_t)(v->int64_value >> 63));
                else if (v->kind_case == PGCDC__V1__VALUE__KIND_DOUBLE_VALUE)
                    inner = 9;
                else
                    inner = 2;
                break;
            }
            /* no typed form: kept as text */
            /* fall through */
        case 'b': {
            ProtobufCBinaryData *bd = in->kind == 't' ? &v->text : &v->binary;
            v->kind_case = in->kind == 't' ? PGCDC__V1__VALUE__KIND_TEXT : PGCDC__V1__VALUE__KIND_BINARY;
            bd->len = in->len;
            bd->data = (uint8_t *)dp;
            if (in->len)
                memcpy(dp, in->data, in->len);
            dp += in->len;
            inner = batch_field_size(in->len);
            break;
        }
        default:
            return pgcdc_error_set(err, PGCDC_EINVAL,
                                   "value %zu of a row has kind '%c' (0x%02x); expected 'n', 'u', 't' or 'b'", i + 1,
                                   in->kind >= 32 && in->kind < 127 ? in->kind : '?', (unsigned char)in->kind);
        }
        bytes += batch_field_size(inner);
        ptrs[i] = v;
    }
    b->bytes += bytes;
    *out = ptrs;
    *nout = n;
    return PGCDC_OK;
}
