/* relcache.c - relation id -> shape, an open-addressing hash of stable entries.
 *
 * Entries never move (the table holds pointers), so a pgcdc_relation pointer
 * handed to a sink stays valid for the decoder's lifetime; only its columns
 * and names are swapped when the shape changes. Relation messages are rare
 * (once per relation per session, and on DDL), so this is not a hot path. */
#include "relcache.h"

#include <stdlib.h>
#include <string.h>

typedef struct rc_entry {
    pgcdc_relation rel;
    void *mem; /* one block: columns array + all names */
} rc_entry;

struct relcache {
    rc_entry **slots;
    size_t nslots; /* power of two */
    size_t count;
    pgcdc_relation old;       /* previous shape kept for the last diff */
    void *old_mem;
    pgcdc_column_change *changes;
    int changes_cap;
};

static size_t slot_of(uint32_t relid, size_t nslots)
{
    uint32_t h = relid * 2654435761u; /* Knuth's multiplicative hash */
    return (size_t)h & (nslots - 1);
}

relcache *relcache_new(void)
{
    relcache *rc = calloc(1, sizeof *rc);
    if (!rc)
        return NULL;
    rc->nslots = 64;
    rc->slots = calloc(rc->nslots, sizeof *rc->slots);
    if (!rc->slots) {
        free(rc);
        return NULL;
    }
    return rc;
}

void relcache_free(relcache *rc)
{
    if (!rc)
        return;
    for (size_t i = 0; i < rc->nslots; i++) {
        if (rc->slots[i]) {
            free(rc->slots[i]->mem);
            free(rc->slots[i]);
        }
    }
    free(rc->slots);
    free(rc->old_mem);
    free(rc->changes);
    free(rc);
}

const pgcdc_relation *relcache_get(const relcache *rc, uint32_t relid)
{
    for (size_t i = slot_of(relid, rc->nslots);; i = (i + 1) & (rc->nslots - 1)) {
        rc_entry *e = rc->slots[i];
        if (!e)
            return NULL;
        if (e->rel.relid == relid)
            return &e->rel;
    }
}

static int grow(relcache *rc)
{
    size_t n = rc->nslots * 2;
    rc_entry **slots = calloc(n, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < rc->nslots; i++) {
        rc_entry *e = rc->slots[i];
        if (!e)
            continue;
        size_t j = slot_of(e->rel.relid, n);
        while (slots[j])
            j = (j + 1) & (n - 1);
        slots[j] = e;
    }
    free(rc->slots);
    rc->slots = slots;
    rc->nslots = n;
    return 0;
}

/* Copies columns and names of src into one malloc'd block; fills dst. */
static void *copy_shape(const pgcdc_relation *src, pgcdc_relation *dst)
{
    size_t size = sizeof(pgcdc_column) * src->ncolumns + strlen(src->nspname) + strlen(src->relname) + 2;
    for (int i = 0; i < src->ncolumns; i++)
        size += strlen(src->columns[i].name) + 1;
    char *mem = malloc(size ? size : 1);
    if (!mem)
        return NULL;
    pgcdc_column *cols = (pgcdc_column *)mem;
    char *s = mem + sizeof(pgcdc_column) * src->ncolumns;
#define COPY_STR(dst_field, src_str) do { size_t n_ = strlen(src_str) + 1; memcpy(s, src_str, n_); dst_field = s; s += n_; } while (0)
    *dst = *src;
    COPY_STR(dst->nspname, src->nspname);
    COPY_STR(dst->relname, src->relname);
    for (int i = 0; i < src->ncolumns; i++) {
        cols[i] = src->columns[i];
        COPY_STR(cols[i].name, src->columns[i].name);
    }
#undef COPY_STR
    dst->columns = cols;
    return mem;
}

static int add_change(relcache *rc, int *n, pgcdc_column_change_kind kind, int oi, int ni)
{
    if (*n == rc->changes_cap) {
        int cap = rc->changes_cap ? rc->changes_cap * 2 : 16;
        pgcdc_column_change *c = realloc(rc->changes, sizeof *c * (size_t)cap);
        if (!c)
            return -1;
        rc->changes = c;
        rc->changes_cap = cap;
    }
    rc->changes[(*n)++] = (pgcdc_column_change){kind, oi, ni};
    return 0;
}

static bool same_type(const pgcdc_column *a, const pgcdc_column *b)
{
    return a->type_oid == b->type_oid && a->typmod == b->typmod;
}

/* Diff old -> new: match columns by name; leftovers are drops and adds, except
 * that equally many leftovers of pairwise equal types, in order, are renames
 * (pgoutput cannot tell a rename from a drop + add; positions say it best). */
static int compute_diff(relcache *rc, const pgcdc_relation *o, const pgcdc_relation *nw, pgcdc_schema_diff *d)
{
    int n = 0;
    int no = o->ncolumns, nn = nw->ncolumns;
    /* matched[i] for old columns, matched_new[j] for new: index of the partner or -1 */
    int stackbuf[512];
    int *match_old = (no + nn) <= 512 ? stackbuf : malloc(sizeof(int) * (size_t)(no + nn));
    if (!match_old)
        return -1;
    int *match_new = match_old + no;
    for (int i = 0; i < no; i++)
        match_old[i] = -1;
    for (int j = 0; j < nn; j++) {
        match_new[j] = -1;
        for (int i = 0; i < no; i++) {
            if (match_old[i] < 0 && strcmp(o->columns[i].name, nw->columns[j].name) == 0) {
                match_old[i] = j;
                match_new[j] = i;
                break;
            }
        }
    }
    int left_old = 0, left_new = 0;
    for (int i = 0; i < no; i++)
        left_old += match_old[i] < 0;
    for (int j = 0; j < nn; j++)
        left_new += match_new[j] < 0;
    bool renames = left_old > 0 && left_old == left_new;
    if (renames) {
        for (int i = 0, j = 0; i < no && renames; i++) {
            if (match_old[i] >= 0)
                continue;
            while (match_new[j] >= 0)
                j++;
            renames = same_type(&o->columns[i], &nw->columns[j]);
            j++;
        }
    }
    int rc_ok = 0;
    if (renames) {
        for (int i = 0, j = 0; i < no; i++) {
            if (match_old[i] >= 0)
                continue;
            while (match_new[j] >= 0)
                j++;
            rc_ok |= add_change(rc, &n, PGCDC_COL_RENAMED, i, j);
            match_old[i] = j;
            match_new[j] = i;
            j++;
        }
    }
    for (int i = 0; i < no; i++)
        if (match_old[i] < 0)
            rc_ok |= add_change(rc, &n, PGCDC_COL_DROPPED, i, -1);
    for (int j = 0; j < nn; j++)
        if (match_new[j] < 0)
            rc_ok |= add_change(rc, &n, PGCDC_COL_ADDED, -1, j);
    for (int j = 0; j < nn; j++) {
        int i = match_new[j];
        if (i < 0)
            continue;
        if (!same_type(&o->columns[i], &nw->columns[j]))
            rc_ok |= add_change(rc, &n, PGCDC_COL_TYPE_CHANGED, i, j);
        if ((o->columns[i].flags & PGCDC_COLUMN_KEY) != (nw->columns[j].flags & PGCDC_COLUMN_KEY))
            rc_ok |= add_change(rc, &n, PGCDC_COL_KEY_CHANGED, i, j);
    }
    if (match_old != stackbuf)
        free(match_old);
    d->nchanges = n;
    d->changes = rc->changes;
    d->table_renamed = strcmp(o->nspname, nw->nspname) != 0 || strcmp(o->relname, nw->relname) != 0;
    d->replident_changed = o->replident != nw->replident;
    return rc_ok ? -1 : 0;
}

void relcache_release_old(relcache *rc)
{
    free(rc->old_mem);
    rc->old_mem = NULL;
    memset(&rc->old, 0, sizeof rc->old);
}

int relcache_install(relcache *rc, const pgcdc_relation *rel, relcache_update *out)
{
    memset(out, 0, sizeof *out);
    relcache_release_old(rc);

    pgcdc_relation shape;
    void *mem = copy_shape(rel, &shape);
    if (!mem)
        return -1;

    rc_entry *e = NULL;
    for (size_t i = slot_of(rel->relid, rc->nslots);; i = (i + 1) & (rc->nslots - 1)) {
        if (!rc->slots[i])
            break;
        if (rc->slots[i]->rel.relid == rel->relid) {
            e = rc->slots[i];
            break;
        }
    }

    if (!e) {
        if ((rc->count + 1) * 2 > rc->nslots && grow(rc) != 0) {
            free(mem);
            return -1;
        }
        e = malloc(sizeof *e);
        if (!e) {
            free(mem);
            return -1;
        }
        shape.generation = 1;
        e->rel = shape;
        e->mem = mem;
        size_t i = slot_of(rel->relid, rc->nslots);
        while (rc->slots[i])
            i = (i + 1) & (rc->nslots - 1);
        rc->slots[i] = e;
        rc->count++;
        out->rel = &e->rel;
        out->is_new = true;
        return 0;
    }

    pgcdc_schema_diff d;
    if (compute_diff(rc, &e->rel, &shape, &d) != 0) {
        free(mem);
        return -1;
    }
    if (d.nchanges == 0 && !d.table_renamed && !d.replident_changed) {
        free(mem); /* same shape announced again (e.g. after a reconnect) */
        out->rel = &e->rel;
        return 0;
    }
    /* Keep the previous shape alive for the diff, install the new one in place. */
    rc->old = e->rel;
    rc->old_mem = e->mem;
    shape.generation = e->rel.generation + 1;
    e->rel = shape;
    e->mem = mem;
    d.old_rel = &rc->old;
    out->rel = &e->rel;
    out->changed = true;
    out->diff = d;
    return 0;
}
