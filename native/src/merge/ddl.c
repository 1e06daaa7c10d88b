/* ddl.c - CREATE statements: the destination schema and table, a journal
 * generation and the merge state table. */
#include "merge_internal.h"

pgcdc_code pgcdc_merge_sql_create_schema(const pgcdc_merge_table *t, pgcdc_sql_list *out, pgcdc_error *err)
{
    mbuild mb;
    pgcdc_code rc = mb_begin(&mb, t, out, err);
    if (rc != PGCDC_OK)
        return rc;
    w_puts(&mb.w, "CREATE SCHEMA IF NOT EXISTS ");
    w_ident(&mb.w, mb.m.schema);
    mb_end_stmt(&mb);
    return mb_finish(&mb, PGCDC_OK, err);
}

/* "  "col" type[ NOT NULL],\n" for every source column */
static void source_columns(sqlw *w, bool keys_not_null)
{
    for (size_t i = 0; i < w->m->ncols; i++) {
        const mcol *c = &w->m->cols[i];
        w_puts(w, "  ");
        w_ident(w, c->name);
        w_puts(w, " ");
        w_puts(w, c->src->type.sql);
        if (keys_not_null && c->key)
            w_puts(w, " NOT NULL");
        w_puts(w, ",\n");
    }
}

pgcdc_code pgcdc_merge_sql_create_table(const pgcdc_merge_table *t, pgcdc_sql_list *out, pgcdc_error *err)
{
    mbuild mb;
    pgcdc_code rc = mb_begin(&mb, t, out, err);
    if (rc != PGCDC_OK)
        return rc;
    sqlw *w = &mb.w;
    pgcdc_dialect d = mb.m.d;
    w_puts(w, "CREATE TABLE ");
    w_qualified(w, mb.m.table);
    w_puts(w, " (\n");
    source_columns(w, true);
    w_printf(w, "  \"%s\" %s,\n  \"%s\" %s,\n  \"%s\" %s", M_INSERTED_AT, mg_t_ntz(d), M_UPDATED_AT, mg_t_ntz(d),
             M_DELETED, mg_t_bool(d));
    /* Snowflake does not enforce keys: the MERGE keeps one row per key itself */
    if (d == PGCDC_DIALECT_POSTGRES) {
        w_puts(w, ",\n  PRIMARY KEY (");
        w_keys(w, NULL, ", ");
        w_puts(w, ")");
    }
    w_puts(w, "\n)");
    mb_end_stmt(&mb);
    return mb_finish(&mb, PGCDC_OK, err);
}

pgcdc_code pgcdc_merge_sql_create_journal(const pgcdc_merge_table *t, pgcdc_sql_list *out, pgcdc_error *err)
{
    mbuild mb;
    pgcdc_code rc = mb_begin(&mb, t, out, err);
    if (rc != PGCDC_OK)
        return rc;
    sqlw *w = &mb.w;
    bool pg = mb.m.d == PGCDC_DIALECT_POSTGRES;
    w_puts(w, "CREATE TABLE IF NOT EXISTS ");
    w_qualified(w, mb.m.journal);
    w_puts(w, " (\n");
    /* all nullable: a delete carries only the key, an unchanged value may be NULL */
    source_columns(w, false);
    const char *big = mg_t_bigint(mb.m.d);
    w_printf(w, "  \"%s\" %s NOT NULL,\n  \"%s\" %s NOT NULL,\n  \"%s\" %s NOT NULL,\n  \"%s\" %s,\n  \"%s\" %s\n)",
             J_LSN, big, J_SEQ, big, J_OP, pg ? "character(1)" : "VARCHAR(1)", J_COMMIT_TIME,
             pg ? "timestamp with time zone" : "TIMESTAMP_TZ", J_UNCHANGED, pg ? "text[]" : "ARRAY");
    mb_end_stmt(&mb);
    if (pg) {
        /* journals are never dropped and grow; a merge must read its window
         * only, not the generation from the start */
        w_puts(w, "CREATE INDEX IF NOT EXISTS ");
        w_ident(w, mb.m.journal_index);
        w_puts(w, " ON ");
        w_qualified(w, mb.m.journal);
        w_printf(w, " (\"%s\", \"%s\")", J_LSN, J_SEQ);
        mb_end_stmt(&mb);
    }
    return mb_finish(&mb, PGCDC_OK, err);
}

/* The state table's own columns are spelled as each system spells unquoted
 * names (lower case in PostgreSQL, upper case in Snowflake), whatever the
 * Object Identifier Resolution: one state table serves every table of the
 * schema. */
const char *mg_state_col(pgcdc_dialect d, state_col c)
{
    static const char *const pg[] = {"table_name", "journal", "merged_lsn", "merged_seq", "updated_at"};
    static const char *const sf[] = {"TABLE_NAME", "JOURNAL", "MERGED_LSN", "MERGED_SEQ", "UPDATED_AT"};
    return d == PGCDC_DIALECT_POSTGRES ? pg[c] : sf[c];
}

pgcdc_code pgcdc_merge_sql_create_state(const pgcdc_merge_table *t, pgcdc_sql_list *out, pgcdc_error *err)
{
    mbuild mb;
    pgcdc_code rc = mb_begin(&mb, t, out, err);
    if (rc != PGCDC_OK)
        return rc;
    sqlw *w = &mb.w;
    pgcdc_dialect d = mb.m.d;
    w_puts(w, "CREATE TABLE IF NOT EXISTS ");
    w_qualified(w, STATE_TABLE);
    w_puts(w, " (\n  ");
    w_ident(w, mg_state_col(d, SC_TABLE));
    w_printf(w, " %s PRIMARY KEY,\n  ", mg_t_text(d));
    w_ident(w, mg_state_col(d, SC_JOURNAL));
    w_printf(w, " %s,\n  ", mg_t_text(d));
    w_ident(w, mg_state_col(d, SC_LSN));
    w_printf(w, " %s NOT NULL,\n  ", mg_t_bigint(d));
    w_ident(w, mg_state_col(d, SC_SEQ));
    w_printf(w, " %s NOT NULL,\n  ", mg_t_bigint(d));
    w_ident(w, mg_state_col(d, SC_UPDATED_AT));
    w_printf(w, " %s\n)", mg_t_ntz(d));
    mb_end_stmt(&mb);
    return mb_finish(&mb, PGCDC_OK, err);
}
