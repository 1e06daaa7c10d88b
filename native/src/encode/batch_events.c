/* batch_events.c - decoder events into batch records (see pgcdc_batch_add_event). */
#include "batch_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rough encoded size of a RowChange's fixed fields (op, relid, seq, lsn, generation, framing). */
#define CHANGE_HEADER_BYTES 24

static pgcdc_code misplaced(pgcdc_batch_builder *b, const pgcdc_event *ev, const char *why, pgcdc_error *err)
{
    char l[PGCDC_LSN_STRLEN];
    (void)b;
    return pgcdc_error_set(err, PGCDC_EINVAL, "cannot add the %s event at LSN %s to the change batch: %s",
                           pgcdc_event_kind_name(ev->kind), pgcdc_lsn_format(ev->lsn, l), why);
}

/* ---------------------------------------------------------- transactions */

static pgcdc_code add_begin(pgcdc_batch_builder *b, const pgcdc_event *ev, pgcdc_error *err)
{
    if (b->txn) {
        char why[96];
        snprintf(why, sizeof why, "transaction %u is still open", b->hdr.xid);
        return misplaced(b, ev, why, err);
    }
    if (!ev->txn)
        return misplaced(b, ev, "it carries no transaction", err);
    batch_txn_header h = {
        .xid = ev->txn->xid,
        .commit_lsn = ev->txn->commit_lsn,
        .begin_lsn = ev->lsn,
        .commit_time_unix_us = pgcdc_pgtime_to_unix_us(ev->txn->commit_time),
        .streamed = ev->txn->streamed,
        .prepared = ev->txn->prepared,
        .gid = ev->txn->prepared && ev->txn->gid && *ev->txn->gid ? (char *)ev->txn->gid : NULL,
    };
    if (batch_open_txn(b, &h) != 0)
        return batch_oom(err, "transaction");
    return PGCDC_OK;
}

static pgcdc_code add_commit(pgcdc_batch_builder *b, const pgcdc_event *ev, pgcdc_error *err)
{
    if (!b->txn)
        return misplaced(b, ev, "no transaction is open", err);
    if (!ev->txn)
        return misplaced(b, ev, "it carries no transaction", err);
    if (ev->txn->xid != b->hdr.xid) {
        char why[96];
        snprintf(why, sizeof why, "it commits transaction %u but %u is open", ev->txn->xid, b->hdr.xid);
        return misplaced(b, ev, why, err);
    }
    batch_close_txn(b, ev->txn->end_lsn, pgcdc_pgtime_to_unix_us(ev->txn->commit_time));
    return PGCDC_OK;
}

static pgcdc_code add_origin(pgcdc_batch_builder *b, const pgcdc_event *ev, pgcdc_error *err)
{
    if (!b->txn || !ev->origin_name)
        return PGCDC_OK; /* an origin outside a transaction says nothing about rows */
    char *copy = strdup(ev->origin_name);
    char *arena = batch_strdup(b, ev->origin_name);
    if (!copy || !arena) {
        free(copy);
        return batch_oom(err, "origin");
    }
    if (b->txn->origin_name) /* a second ORIGIN replaces the first */
        b->bytes -= 10 + batch_string_size(b->txn->origin_name);
    free(b->hdr.origin_name);
    b->hdr.origin_name = copy;
    b->hdr.origin_lsn = ev->origin_lsn;
    b->txn->origin_name = arena;
    b->txn->origin_lsn = ev->origin_lsn;
    b->bytes += 10 + batch_string_size(arena);
    return PGCDC_OK;
}

/* ---------------------------------------------------------------- changes */

static Pgcdc__V1__Op op_of(pgcdc_event_kind k)
{
    switch (k) {
    case PGCDC_EV_INSERT: return PGCDC__V1__OP__OP_INSERT;
    case PGCDC_EV_UPDATE: return PGCDC__V1__OP__OP_UPDATE;
    case PGCDC_EV_DELETE: return PGCDC__V1__OP__OP_DELETE;
    default: return PGCDC__V1__OP__OP_TRUNCATE;
    }
}

static pgcdc_code add_truncated(pgcdc_batch_builder *b, const pgcdc_event *ev, batch_change *c, pgcdc_error *err)
{
    static const Pgcdc__V1__RelationRef ref_init = PGCDC__V1__RELATION_REF__INIT;
    if (ev->nrelations <= 0)
        return PGCDC_OK;
    size_t n = (size_t)ev->nrelations;
    Pgcdc__V1__RelationRef **refs = pgcdc_arena_alloc(&b->arena, n * (sizeof *refs + sizeof **refs));
    if (!refs)
        return batch_oom(err, "truncate");
    Pgcdc__V1__RelationRef *r = (Pgcdc__V1__RelationRef *)(void *)(refs + n);
    for (size_t i = 0; i < n; i++) {
        const pgcdc_relation *rel = ev->relations[i];
        r[i] = ref_init;
        r[i].relid = rel->relid;
        if (batch_relnames(b, rel->relid, rel->nspname, rel->relname, &r[i].schema, &r[i].table) != 0)
            return batch_oom(err, "truncate");
        refs[i] = &r[i];
        b->bytes += batch_field_size(6 + batch_string_size(r[i].schema) + batch_string_size(r[i].table));
    }
    c->n_truncated = n;
    c->truncated = refs;
    c->truncate_cascade = (ev->truncate_flags & PGCDC_TRUNCATE_CASCADE) != 0;
    c->truncate_restart_identity = (ev->truncate_flags & PGCDC_TRUNCATE_RESTART_IDENTITY) != 0;
    return PGCDC_OK;
}

static pgcdc_code add_change(pgcdc_batch_builder *b, const pgcdc_event *ev, pgcdc_error *err)
{
    static const batch_change change_init = PGCDC__V1__ROW_CHANGE__INIT;
    if (!b->txn)
        return misplaced(b, ev, "no transaction is open (changes come between BEGIN and COMMIT)", err);
    const pgcdc_relation *rel = ev->rel;
    if (!rel && ev->kind != PGCDC_EV_TRUNCATE)
        return misplaced(b, ev, "it names no relation", err);

    batch_change *c = BATCH_NEW(b, batch_change);
    if (!c)
        return batch_oom(err, "change");
    *c = change_init;
    c->op = op_of(ev->kind);
    c->seq = ev->seq;
    c->lsn = ev->lsn;
    pgcdc_code rc = PGCDC_OK;
    if (ev->kind == PGCDC_EV_TRUNCATE) {
        rc = add_truncated(b, ev, c, err);
    } else {
        c->relid = rel->relid;
        c->generation = rel->generation;
        if (batch_relnames(b, rel->relid, rel->nspname, rel->relname, &c->schema, &c->table) != 0)
            return batch_oom(err, "change");
        b->bytes += batch_string_size(c->schema) + batch_string_size(c->table);
        if (ev->kind != PGCDC_EV_DELETE)
            rc = batch_copy_values(b, &ev->new_tuple, rel->columns, rel->ncolumns, &c->new_values,
                                   &c->n_new_values, err);
        if (!rc && ev->kind != PGCDC_EV_INSERT && ev->old_kind) {
            c->old_kind = ev->old_kind == 'O' ? PGCDC__V1__OLD_TUPLE__OLD_TUPLE_FULL
                                              : PGCDC__V1__OLD_TUPLE__OLD_TUPLE_KEY;
            rc = batch_copy_values(b, &ev->old_tuple, rel->columns, rel->ncolumns, &c->old_values,
                                   &c->n_old_values, err);
        }
    }
    if (rc)
        return rc;
    int prc;
    BATCH_PUSH(b, b->txn->changes, b->txn->n_changes, b->changes_cap, c, prc);
    if (prc)
        return batch_oom(err, "change");
    b->nchanges++;
    b->bytes += CHANGE_HEADER_BYTES;
    return PGCDC_OK;
}

/* ---------------------------------------------------------------- schema */

static Pgcdc__V1__ReplicaIdentity replica_identity(char c)
{
    switch (c) {
    case 'd': return PGCDC__V1__REPLICA_IDENTITY__REPLICA_IDENTITY_DEFAULT;
    case 'n': return PGCDC__V1__REPLICA_IDENTITY__REPLICA_IDENTITY_NOTHING;
    case 'f': return PGCDC__V1__REPLICA_IDENTITY__REPLICA_IDENTITY_FULL;
    case 'i': return PGCDC__V1__REPLICA_IDENTITY__REPLICA_IDENTITY_INDEX;
    default: return PGCDC__V1__REPLICA_IDENTITY__REPLICA_IDENTITY_UNSPECIFIED;
    }
}

static Pgcdc__V1__ColumnChangeKind column_change_kind(pgcdc_column_change_kind k)
{
    switch (k) {
    case PGCDC_COL_ADDED: return PGCDC__V1__COLUMN_CHANGE_KIND__COLUMN_ADDED;
    case PGCDC_COL_DROPPED: return PGCDC__V1__COLUMN_CHANGE_KIND__COLUMN_DROPPED;
    case PGCDC_COL_RENAMED: return PGCDC__V1__COLUMN_CHANGE_KIND__COLUMN_RENAMED;
    case PGCDC_COL_TYPE_CHANGED: return PGCDC__V1__COLUMN_CHANGE_KIND__COLUMN_TYPE_CHANGED;
    case PGCDC_COL_KEY_CHANGED: return PGCDC__V1__COLUMN_CHANGE_KIND__COLUMN_KEY_CHANGED;
    }
    return PGCDC__V1__COLUMN_CHANGE_KIND__COLUMN_CHANGE_UNSPECIFIED;
}

/* Arena array of Column copies. */
static int copy_columns(pgcdc_batch_builder *b, const pgcdc_column *cols, int n, batch_column ***out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    if (n <= 0 || !cols)
        return 0;
    batch_column **a = pgcdc_arena_alloc(&b->arena, (size_t)n * sizeof *a);
    if (!a)
        return -1;
    for (int i = 0; i < n; i++)
        if (!(a[i] = batch_copy_column(b, &cols[i])))
            return -1;
    *out = a;
    *nout = (size_t)n;
    return 0;
}

static int copy_diff(pgcdc_batch_builder *b, const pgcdc_relation *rel, const pgcdc_schema_diff *d,
                     Pgcdc__V1__SchemaDiff **out)
{
    static const Pgcdc__V1__SchemaDiff diff_init = PGCDC__V1__SCHEMA_DIFF__INIT;
    static const Pgcdc__V1__ColumnChange change_init = PGCDC__V1__COLUMN_CHANGE__INIT;
    Pgcdc__V1__SchemaDiff *sd = BATCH_NEW(b, Pgcdc__V1__SchemaDiff);
    if (!sd)
        return -1;
    *sd = diff_init;
    const pgcdc_relation *old = d->old_rel;
    sd->table_renamed = d->table_renamed;
    sd->replica_identity_changed = d->replident_changed;
    if (old) {
        if (!(sd->previous_schema = batch_strdup(b, old->nspname ? old->nspname : "")) ||
            !(sd->previous_table = batch_strdup(b, old->relname ? old->relname : "")))
            return -1;
        sd->previous_replica_identity = replica_identity(old->replident);
    }
    if (d->nchanges > 0) {
        size_t n = (size_t)d->nchanges;
        Pgcdc__V1__ColumnChange **a = pgcdc_arena_alloc(&b->arena, n * (sizeof *a + sizeof **a));
        if (!a)
            return -1;
        Pgcdc__V1__ColumnChange *cc = (Pgcdc__V1__ColumnChange *)(void *)(a + n);
        for (size_t i = 0; i < n; i++) {
            const pgcdc_column_change *ch = &d->changes[i];
            cc[i] = change_init;
            cc[i].kind = column_change_kind(ch->kind);
            cc[i].old_index = ch->old_index;
            cc[i].new_index = ch->new_index;
            if (old && ch->old_index >= 0 && ch->old_index < old->ncolumns &&
                !(cc[i].old_column = batch_copy_column(b, &old->columns[ch->old_index])))
                return -1;
            if (ch->new_index >= 0 && ch->new_index < rel->ncolumns &&
                !(cc[i].new_column = batch_copy_column(b, &rel->columns[ch->new_index])))
                return -1;
            a[i] = &cc[i];
            b->bytes += 8;
        }
        sd->n_column_changes = n;
        sd->column_changes = a;
    }
    b->bytes += 8 + batch_string_size(sd->previous_schema) + batch_string_size(sd->previous_table);
    *out = sd;
    return 0;
}

static pgcdc_code add_relation(pgcdc_batch_builder *b, const pgcdc_event *ev, pgcdc_error *err)
{
    static const batch_record record_init = PGCDC__V1__RECORD__INIT;
    static const Pgcdc__V1__SchemaEvent schema_init = PGCDC__V1__SCHEMA_EVENT__INIT;
    const pgcdc_relation *rel = ev->rel;
    if (!rel)
        return misplaced(b, ev, "it names no relation", err);
    batch_record *rec = BATCH_NEW(b, batch_record);
    Pgcdc__V1__SchemaEvent *s = BATCH_NEW(b, Pgcdc__V1__SchemaEvent);
    if (!rec || !s)
        return batch_oom(err, "schema event");
    *rec = record_init;
    *s = schema_init;
    rec->kind_case = PGCDC__V1__RECORD__KIND_SCHEMA_EVENT;
    rec->schema_event = s;
    s->relid = rel->relid;
    s->generation = rel->generation;
    s->replica_identity = replica_identity(rel->replident);
    s->lsn = ev->lsn;
    s->xid = b->txn ? b->hdr.xid : ev->txn ? ev->txn->xid : 0;
    if (batch_relnames(b, rel->relid, rel->nspname, rel->relname, &s->schema, &s->table) != 0 ||
        copy_columns(b, rel->columns, rel->ncolumns, &s->columns, &s->n_columns) != 0 ||
        (ev->diff && copy_diff(b, rel, ev->diff, &s->diff) != 0))
        return batch_oom(err, "schema event");
    b->bytes += 32 + batch_string_size(s->schema) + batch_string_size(s->table);
    if (batch_add_toplevel(b, rec) != 0)
        return batch_oom(err, "schema event");
    return PGCDC_OK;
}

static pgcdc_code add_type(pgcdc_batch_builder *b, const pgcdc_event *ev, pgcdc_error *err)
{
    batch_typename *t = NULL;
    for (size_t i = 0; i < b->ntypes && !t; i++)
        if (b->types[i].oid == ev->type_oid)
            t = &b->types[i];
    if (!t) {
        if (b->ntypes == b->types_cap) {
            size_t ncap = b->types_cap ? b->types_cap * 2 : 8;
            batch_typename *n = realloc(b->types, ncap * sizeof *n);
            if (!n)
                return batch_oom(err, "type name");
            b->types = n;
            b->types_cap = ncap;
        }
        t = &b->types[b->ntypes++];
        memset(t, 0, sizeof *t);
        t->oid = ev->type_oid;
    }
    char *schema = strdup(ev->type_nspname ? ev->type_nspname : "");
    char *name = strdup(ev->type_name ? ev->type_name : "");
    if (!schema || !name) {
        free(schema);
        free(name);
        return batch_oom(err, "type name");
    }
    free(t->schema);
    free(t->name);
    t->schema = schema;
    t->name = name;
    return PGCDC_OK;
}

/* ----------------------------------------------------- messages, notices */

static pgcdc_code add_message(pgcdc_batch_builder *b, const pgcdc_event *ev, pgcdc_error *err)
{
    static const Pgcdc__V1__LogicalMessage message_init = PGCDC__V1__LOGICAL_MESSAGE__INIT;
    Pgcdc__V1__LogicalMessage *m = BATCH_NEW(b, Pgcdc__V1__LogicalMessage);
    if (!m)
        return batch_oom(err, "message");
    *m = message_init;
    m->transactional = ev->transactional;
    m->lsn = ev->lsn;
    if (ev->prefix && !(m->prefix = batch_strdup(b, ev->prefix)))
        return batch_oom(err, "message");
    if (ev->content_len) {
        if (!(m->content.data = pgcdc_arena_alloc(&b->arena, ev->content_len)))
            return batch_oom(err, "message");
        memcpy(m->content.data, ev->content, ev->content_len);
        m->content.len = ev->content_len;
    }
    b->bytes += 24 + batch_string_size(m->prefix) + batch_field_size(ev->content_len);

    if (ev->transactional && b->txn) {
        m->xid = b->hdr.xid;
        m->seq = ev->seq;
        int rc;
        BATCH_PUSH(b, b->txn->messages, b->txn->n_messages, b->messages_cap, m, rc);
        return rc ? batch_oom(err, "message") : PGCDC_OK;
    }
    static const batch_record record_init = PGCDC__V1__RECORD__INIT;
    batch_record *rec = BATCH_NEW(b, batch_record);
    if (!rec)
        return batch_oom(err, "message");
    *rec = record_init;
    rec->kind_case = PGCDC__V1__RECORD__KIND_LOGICAL_MESSAGE;
    rec->logical_message = m;
    m->xid = ev->transactional && ev->txn ? ev->txn->xid : 0;
    if (batch_add_toplevel(b, rec) != 0)
        return batch_oom(err, "message");
    return PGCDC_OK;
}

static pgcdc_code add_notice(pgcdc_batch_builder *b, const pgcdc_event *ev, pgcdc_error *err)
{
    static const batch_record record_init = PGCDC__V1__RECORD__INIT;
    static const Pgcdc__V1__TransactionNotice notice_init = PGCDC__V1__TRANSACTION_NOTICE__INIT;
    batch_record *rec = BATCH_NEW(b, batch_record);
    Pgcdc__V1__TransactionNotice *n = BATCH_NEW(b, Pgcdc__V1__TransactionNotice);
    if (!rec || !n)
        return batch_oom(err, "notice");
    *rec = record_init;
    *n = notice_init;
    rec->kind_case = PGCDC__V1__RECORD__KIND_NOTICE;
    rec->notice = n;
    n->kind = ev->kind == PGCDC_EV_PREPARE             ? PGCDC__V1__NOTICE_KIND__NOTICE_PREPARED
              : ev->kind == PGCDC_EV_ROLLBACK_PREPARED ? PGCDC__V1__NOTICE_KIND__NOTICE_ROLLBACK_PREPARED
                                                       : PGCDC__V1__NOTICE_KIND__NOTICE_STREAM_ABORTED;
    n->lsn = ev->lsn;
    n->aborted_xid = ev->kind == PGCDC_EV_STREAM_ABORT ? ev->aborted_xid : 0;
    if (ev->txn) {
        n->xid = ev->txn->xid;
        n->end_lsn = ev->txn->end_lsn;
        if (ev->txn->gid && *ev->txn->gid && !(n->gid = batch_strdup(b, ev->txn->gid)))
            return batch_oom(err, "notice");
    }
    b->bytes += 32 + batch_string_size(n->gid);
    if (batch_add_toplevel(b, rec) != 0)
        return batch_oom(err, "notice");
    return PGCDC_OK;
}

/* ------------------------------------------------------------------ entry */

pgcdc_code pgcdc_batch_add_event(pgcdc_batch_builder *b, const pgcdc_event *ev, pgcdc_error *err)
{
    b->open_rows = NULL; /* snapshot rows appended now would land after this event */
    switch (ev->kind) {
    case PGCDC_EV_BEGIN: return add_begin(b, ev, err);
    case PGCDC_EV_COMMIT: return add_commit(b, ev, err);
    case PGCDC_EV_RELATION: return add_relation(b, ev, err);
    case PGCDC_EV_TYPE: return add_type(b, ev, err);
    case PGCDC_EV_INSERT:
    case PGCDC_EV_UPDATE:
    case PGCDC_EV_DELETE:
    case PGCDC_EV_TRUNCATE: return add_change(b, ev, err);
    case PGCDC_EV_MESSAGE: return add_message(b, ev, err);
    case PGCDC_EV_ORIGIN: return add_origin(b, ev, err);
    case PGCDC_EV_PREPARE:
    case PGCDC_EV_ROLLBACK_PREPARED:
    case PGCDC_EV_STREAM_ABORT: return add_notice(b, ev, err);
    }
    return pgcdc_error_set(err, PGCDC_EINVAL, "cannot add an event of unknown kind %d to a change batch",
                           (int)ev->kind);
}

int pgcdc_batch_sink(void *builder, const pgcdc_event *ev, pgcdc_error *err)
{
    return pgcdc_batch_add_event(builder, ev, err) == PGCDC_OK ? 0 : -1;
}
