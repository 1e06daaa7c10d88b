/* events.c - text rendering of decoder events for assertions. */
#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgcdc/buf.h"

void event_log_init(event_log *log)
{
    memset(log, 0, sizeof *log);
}

void event_log_clear(event_log *log)
{
    for (int i = 0; i < log->n; i++)
        free(log->lines[i]);
    log->n = 0;
    log->commits = 0;
}

void event_log_free(event_log *log)
{
    event_log_clear(log);
    free(log->lines);
    log->lines = NULL;
    log->cap = 0;
}

static void render_tuple(pgcdc_buf *b, const pgcdc_tuple *t)
{
    pgcdc_buf_putc(b, '(');
    for (int i = 0; i < t->ncolumns; i++) {
        const pgcdc_value *v = &t->values[i];
        if (i)
            pgcdc_buf_putc(b, ',');
        switch (v->kind) {
        case 'n': pgcdc_buf_puts(b, "NULL"); break;
        case 'u': pgcdc_buf_puts(b, "UNCHANGED"); break;
        case 't':
            pgcdc_buf_putc(b, '\'');
            if (v->len > 40)
                pgcdc_buf_printf(b, "<%u chars>", v->len);
            else
                pgcdc_buf_append(b, v->data, v->len);
            pgcdc_buf_putc(b, '\'');
            break;
        case 'b': pgcdc_buf_printf(b, "<binary %u bytes>", v->len); break;
        }
    }
    pgcdc_buf_putc(b, ')');
}

static const char *diff_kind(pgcdc_column_change_kind k)
{
    switch (k) {
    case PGCDC_COL_ADDED: return "added";
    case PGCDC_COL_DROPPED: return "dropped";
    case PGCDC_COL_RENAMED: return "renamed";
    case PGCDC_COL_TYPE_CHANGED: return "type";
    case PGCDC_COL_KEY_CHANGED: return "key";
    }
    return "?";
}

int event_log_sink(void *userdata, const pgcdc_event *ev, pgcdc_error *err)
{
    (void)err;
    event_log *log = userdata;
    pgcdc_buf b = PGCDC_BUF_INIT;
    pgcdc_buf_puts(&b, pgcdc_event_kind_name(ev->kind));
    switch (ev->kind) {
    case PGCDC_EV_BEGIN:
        if (ev->txn->streamed)
            pgcdc_buf_puts(&b, " streamed");
        if (ev->txn->prepared)
            pgcdc_buf_printf(&b, " prepared gid=%s", ev->txn->gid);
        break;
    case PGCDC_EV_COMMIT:
        log->last_commit = *ev->txn;
        log->commits++;
        pgcdc_buf_printf(&b, " changes=%llu", (unsigned long long)ev->txn->nchanges);
        break;
    case PGCDC_EV_RELATION:
        pgcdc_buf_printf(&b, " %s.%s gen=%u (", ev->rel->nspname, ev->rel->relname, ev->rel->generation);
        for (int i = 0; i < ev->rel->ncolumns; i++)
            pgcdc_buf_printf(&b, "%s%s%s", i ? "," : "", ev->rel->columns[i].name,
                             ev->rel->columns[i].flags & PGCDC_COLUMN_KEY ? "*" : "");
        pgcdc_buf_putc(&b, ')');
        if (ev->diff) {
            for (int i = 0; i < ev->diff->nchanges; i++) {
                const pgcdc_column_change *c = &ev->diff->changes[i];
                const char *oldn = c->old_index >= 0 ? ev->diff->old_rel->columns[c->old_index].name : "";
                const char *newn = c->new_index >= 0 ? ev->rel->columns[c->new_index].name : "";
                pgcdc_buf_printf(&b, " %s:%s%s%s", diff_kind(c->kind), oldn,
                                 c->kind == PGCDC_COL_RENAMED ? "->" : "", c->kind == PGCDC_COL_RENAMED ||
                                 c->kind == PGCDC_COL_ADDED ? newn : "");
            }
            if (ev->diff->replident_changed)
                pgcdc_buf_puts(&b, " replident");
            if (ev->diff->table_renamed)
                pgcdc_buf_printf(&b, " renamed-from:%s.%s", ev->diff->old_rel->nspname, ev->diff->old_rel->relname);
        }
        break;
    case PGCDC_EV_TYPE:
        pgcdc_buf_printf(&b, " %s.%s", ev->type_nspname, ev->type_name);
        break;
    case PGCDC_EV_INSERT:
    case PGCDC_EV_UPDATE:
    case PGCDC_EV_DELETE:
        pgcdc_buf_printf(&b, " %s.%s", ev->rel->nspname, ev->rel->relname);
        if (ev->old_kind) {
            pgcdc_buf_printf(&b, " %s=", ev->old_kind == 'K' ? "key" : "old");
            render_tuple(&b, &ev->old_tuple);
        }
        if (ev->kind != PGCDC_EV_DELETE) {
            pgcdc_buf_puts(&b, " new=");
            render_tuple(&b, &ev->new_tuple);
        }
        break;
    case PGCDC_EV_TRUNCATE:
        for (int i = 0; i < ev->nrelations; i++)
            pgcdc_buf_printf(&b, " %s.%s", ev->relations[i]->nspname, ev->relations[i]->relname);
        if (ev->truncate_flags & PGCDC_TRUNCATE_CASCADE)
            pgcdc_buf_puts(&b, " cascade");
        if (ev->truncate_flags & PGCDC_TRUNCATE_RESTART_IDENTITY)
            pgcdc_buf_puts(&b, " restart-identity");
        break;
    case PGCDC_EV_MESSAGE:
        pgcdc_buf_printf(&b, " %s %s '", ev->transactional ? "tx" : "nontx", ev->prefix);
        pgcdc_buf_append(&b, ev->content, ev->content_len);
        pgcdc_buf_putc(&b, '\'');
        break;
    case PGCDC_EV_ORIGIN:
        pgcdc_buf_printf(&b, " %s", ev->origin_name);
        break;
    case PGCDC_EV_PREPARE:
    case PGCDC_EV_ROLLBACK_PREPARED:
        pgcdc_buf_printf(&b, " gid=%s", ev->txn->gid);
        break;
    case PGCDC_EV_STREAM_ABORT:
        break;
    }
    if (log->n == log->cap) {
        log->cap = log->cap ? log->cap * 2 : 256;
        log->lines = realloc(log->lines, sizeof(char *) * (size_t)log->cap);
    }
    log->lines[log->n++] = b.data;
    return 0;
}

int event_log_find(const event_log *log, const char *s, int from)
{
    for (int i = from < 0 ? 0 : from; i < log->n; i++)
        if (strcmp(log->lines[i], s) == 0)
            return i;
    return -1;
}

int event_log_count_prefix(const event_log *log, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (int i = 0; i < log->n; i++)
        n += strncmp(log->lines[i], prefix, len) == 0;
    return n;
}

void event_log_dump(const event_log *log, const char *title)
{
    fprintf(stderr, "--- %s (%d events)\n", title, log->n);
    for (int i = 0; i < log->n && i < 200; i++)
        fprintf(stderr, "  %s\n", log->lines[i]);
}
