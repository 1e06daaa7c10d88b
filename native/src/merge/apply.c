/* apply.c - the three statements of a merge: lock the state row, apply the
 * window's source rows to the destination table, advance the state row.
 * Applying is a MERGE (PostgreSQL 15+, Snowflake) or, on PostgreSQL 10-14,
 * an UPDATE for deletes plus INSERT ... ON CONFLICT DO UPDATE for the rest,
 * over the same source query: the two give the same result (tested). */
#include "merge_internal.h"

#define Q_OP "\"_PGCDC_OP\""

/* 1. the state row: created at (0, 0) or, if it exists, locked until commit
 * (its journal column rewritten), so two merges of one table cannot run
 * interleaved */
static void stmt_lock_state(sqlw *w)
{
    pgcdc_dialect d = w->m->d;
    const char *tn = mg_state_col(d, SC_TABLE), *jn = mg_state_col(d, SC_JOURNAL);
    if (d == PGCDC_DIALECT_POSTGRES) {
        w_puts(w, "INSERT INTO ");
        w_qualified(w, STATE_TABLE);
        w_puts(w, " AS m (");
    } else {
        w_puts(w, "MERGE INTO ");
        w_qualified(w, STATE_TABLE);
        w_puts(w, " AS m\nUSING (");
        mg_params_select(w);
        w_puts(w, ") AS prm\nON m.");
        w_ident(w, tn);
        w_puts(w, " = prm.tbl\nWHEN MATCHED THEN UPDATE SET ");
        w_ident(w, jn);
        w_puts(w, " = prm.jn\nWHEN NOT MATCHED THEN INSERT (");
    }
    w_ident(w, tn);
    w_puts(w, ", ");
    w_ident(w, jn);
    w_puts(w, ", ");
    w_ident(w, mg_state_col(d, SC_LSN));
    w_puts(w, ", ");
    w_ident(w, mg_state_col(d, SC_SEQ));
    w_puts(w, ", ");
    w_ident(w, mg_state_col(d, SC_UPDATED_AT));
    if (d == PGCDC_DIALECT_POSTGRES) {
        w_puts(w, ")\nSELECT prm.tbl, prm.jn, 0, 0, ");
        w_now(w);
        w_puts(w, " FROM (");
        mg_params_select(w);
        w_puts(w, ") AS prm\nON CONFLICT (");
        w_ident(w, tn);
        w_puts(w, ") DO UPDATE SET ");
        w_ident(w, jn);
        w_puts(w, " = EXCLUDED.");
        w_ident(w, jn);
    } else {
        w_puts(w, ")\n  VALUES (prm.tbl, prm.jn, 0, 0, ");
        w_now(w);
        w_puts(w, ")");
    }
}

/* (l_lsn, l_seq) <op> the merged position m."<lsn>", m."<seq>" of the state
 * row aliased m (in PostgreSQL the target's columns in SET take no alias, in
 * WHERE they may) */
static void pos_cmp_state(sqlw *w, const char *l_lsn, const char *l_seq, const char *op, bool state_left)
{
    pgcdc_dialect d = w->m->d;
    pgcdc_buf l = PGCDC_BUF_INIT, s = PGCDC_BUF_INIT;
    if (pgcdc_buf_puts(&l, "m.") != 0 || mg_quote_exact(&l, mg_state_col(d, SC_LSN)) != 0 ||
        pgcdc_buf_puts(&s, "m.") != 0 || mg_quote_exact(&s, mg_state_col(d, SC_SEQ)) != 0)
        w->oom = true;
    else if (state_left)
        w_pos_cmp(w, l.data, s.data, op, l_lsn, l_seq);
    else
        w_pos_cmp(w, l_lsn, l_seq, op, l.data, s.data);
    pgcdc_buf_free(&l);
    pgcdc_buf_free(&s);
}

/* 3. the state row advanced to the bound, never moved back */
static void stmt_advance_state(sqlw *w)
{
    pgcdc_dialect d = w->m->d;
    w_puts(w, "UPDATE ");
    w_qualified(w, STATE_TABLE);
    w_puts(w, " AS m SET ");
    w_ident(w, mg_state_col(d, SC_LSN));
    w_puts(w, " = prm.hi_lsn, ");
    w_ident(w, mg_state_col(d, SC_SEQ));
    w_puts(w, " = prm.hi_seq, ");
    w_ident(w, mg_state_col(d, SC_JOURNAL));
    w_puts(w, " = prm.jn, ");
    w_ident(w, mg_state_col(d, SC_UPDATED_AT));
    w_puts(w, " = ");
    w_now(w);
    w_puts(w, "\nFROM (");
    mg_params_select(w);
    w_puts(w, ") AS prm\nWHERE m.");
    w_ident(w, mg_state_col(d, SC_TABLE));
    w_puts(w, " = prm.tbl AND ");
    pos_cmp_state(w, "prm.hi_lsn", "prm.hi_seq", "<", true);
}

/* "col" = <from>."col" for every non-key column, then the metadata of a live
 * row; from EXCLUDED (ON CONFLICT) the update time is the one the INSERT part
 * computed */
static void set_values(sqlw *w, const char *from, bool excluded)
{
    for (size_t i = 0; i < w->m->ncols; i++) {
        const mcol *c = &w->m->cols[i];
        if (c->key)
            continue;
        w_ident(w, c->name);
        w_puts(w, " = ");
        w_qcol(w, from, c->name);
        w_puts(w, ", ");
    }
    w_ident(w, M_DELETED);
    w_puts(w, " = FALSE, ");
    w_ident(w, M_UPDATED_AT);
    w_puts(w, " = ");
    if (excluded)
        w_qcol(w, from, M_UPDATED_AT);
    else
        w_now(w);
}

/* ("c1", ..., "_SNOWFLAKE_INSERTED_AT", "_SNOWFLAKE_UPDATED_AT", "_SNOWFLAKE_DELETED") */
static void insert_columns(sqlw *w)
{
    w_puts(w, "(");
    for (size_t i = 0; i < w->m->ncols; i++) {
        w_ident(w, w->m->cols[i].name);
        w_puts(w, ", ");
    }
    w_ident(w, M_INSERTED_AT);
    w_puts(w, ", ");
    w_ident(w, M_UPDATED_AT);
    w_puts(w, ", ");
    w_ident(w, M_DELETED);
    w_puts(w, ")");
}

/* s."c1", ..., now, now, FALSE */
static void insert_values(sqlw *w)
{
    for (size_t i = 0; i < w->m->ncols; i++) {
        w_qcol(w, "s", w->m->cols[i].name);
        w_puts(w, ", ");
    }
    w_now(w);
    w_puts(w, ", ");
    w_now(w);
    w_puts(w, ", FALSE");
}

static void set_deleted(sqlw *w)
{
    w_ident(w, M_DELETED);
    w_puts(w, " = TRUE, ");
    w_ident(w, M_UPDATED_AT);
    w_puts(w, " = ");
    w_now(w);
}

/* 2a. MERGE: PostgreSQL 15+ and Snowflake. PostgreSQL's MERGE takes no WITH
 * RECURSIVE of its own, so the source query is a subquery (so it is in
 * Snowflake, where MERGE takes no WITH at all). A 'D' of a key the
 * destination never had inserts nothing. */
static void stmt_merge(sqlw *w)
{
    w_puts(w, "MERGE INTO ");
    w_qualified(w, w->m->table);
    w_puts(w, " AS t\nUSING (\n");
    mg_source_query(w, false);
    w_puts(w, "\n) AS s\nON ");
    w_keys_eq(w, "t", "s");
    w_puts(w, "\nWHEN MATCHED AND s." Q_OP " = 'D' THEN\n  UPDATE SET ");
    set_deleted(w);
    w_puts(w, "\nWHEN MATCHED THEN\n  UPDATE SET ");
    set_values(w, "s", false);
    w_puts(w, "\nWHEN NOT MATCHED AND s." Q_OP " <> 'D' THEN\n  INSERT ");
    insert_columns(w);
    w_puts(w, "\n  VALUES (");
    insert_values(w);
    w_puts(w, ")");
}

/* 2b. PostgreSQL 10-14: the deletes as a data-modifying CTE, the rest as an
 * upsert; both read the same source rows and touch different keys. */
static void stmt_upsert(sqlw *w)
{
    mg_source_query(w, true);
    w_puts(w, ", del AS (\n  UPDATE ");
    w_qualified(w, w->m->table);
    w_puts(w, " AS t SET ");
    set_deleted(w);
    w_puts(w, "\n  FROM s WHERE s." Q_OP " = 'D' AND ");
    w_keys_eq(w, "t", "s");
    w_puts(w, "\n)\nINSERT INTO ");
    w_qualified(w, w->m->table);
    w_puts(w, " AS t ");
    insert_columns(w);
    w_puts(w, "\nSELECT ");
    insert_values(w);
    w_puts(w, "\nFROM s WHERE s." Q_OP " <> 'D'\nON CONFLICT (");
    w_keys(w, NULL, ", ");
    w_puts(w, ") DO UPDATE SET ");
    set_values(w, "EXCLUDED", true);
}

static void stmt_soft_delete_missing(sqlw *w); /* below, with the re-snapshot */

/* The CDC merge; with soft_delete_missing (a re-snapshot), live rows the
 * snapshot no longer has are soft-deleted between the merge and the state
 * advance. */
static pgcdc_code build_merge(const pgcdc_merge_table *t, bool soft_delete_missing, pgcdc_sql_list *out,
                              pgcdc_error *err)
{
    mbuild mb;
    pgcdc_code rc = mb_begin(&mb, t, out, err);
    if (rc != PGCDC_OK)
        return rc;
    stmt_lock_state(&mb.w);
    mb_end_stmt(&mb);
    if (mb.m.d == PGCDC_DIALECT_POSTGRES && t->server_major < 15)
        stmt_upsert(&mb.w);
    else
        stmt_merge(&mb.w);
    mb_end_stmt(&mb);
    if (soft_delete_missing) {
        stmt_soft_delete_missing(&mb.w);
        mb_end_stmt(&mb);
    }
    stmt_advance_state(&mb.w);
    mb_end_stmt(&mb);
    return mb_finish(&mb, PGCDC_OK, err);
}

pgcdc_code pgcdc_merge_sql_merge(const pgcdc_merge_table *t, pgcdc_sql_list *out, pgcdc_error *err)
{
    return build_merge(t, false, out, err);
}

/* 2c. the initial load: every journal row in the window inserted as it is,
 * without the per-key ordering of the MERGE (the caller guarantees an empty
 * destination table and each key once in the window) */
static void stmt_initial_insert(sqlw *w)
{
    w_puts(w, "INSERT INTO ");
    w_qualified(w, w->m->table);
    w_puts(w, " ");
    insert_columns(w);
    w_puts(w, "\nSELECT ");
    for (size_t i = 0; i < w->m->ncols; i++) {
        w_qcol(w, "j", w->m->cols[i].name);
        w_puts(w, ", ");
    }
    w_now(w);
    w_puts(w, ", ");
    w_now(w);
    w_puts(w, ", FALSE\nFROM ");
    w_qualified(w, w->m->journal);
    w_puts(w, " j, (");
    mg_params_select(w);
    w_puts(w, ") AS prm\nWHERE ");
    w_pos_cmp(w, "j.\"_PGCDC_LSN\"", "j.\"_PGCDC_SEQ\"", "<=", "prm.hi_lsn", "prm.hi_seq");
    w_puts(w, " AND j.\"_PGCDC_OP\" <> 'D'\n  AND NOT EXISTS (SELECT 1 FROM ");
    w_qualified(w, STATE_TABLE);
    w_puts(w, " m WHERE m.");
    w_ident(w, mg_state_col(w->m->d, SC_TABLE));
    w_puts(w, " = prm.tbl AND ");
    pos_cmp_state(w, "j.\"_PGCDC_LSN\"", "j.\"_PGCDC_SEQ\"", "<=", false);
    w_puts(w, ")");
}

pgcdc_code pgcdc_merge_sql_initial_load(const pgcdc_merge_table *t, pgcdc_sql_list *out, pgcdc_error *err)
{
    mbuild mb;
    pgcdc_code rc = mb_begin(&mb, t, out, err);
    if (rc != PGCDC_OK)
        return rc;
    stmt_lock_state(&mb.w);
    mb_end_stmt(&mb);
    stmt_initial_insert(&mb.w);
    mb_end_stmt(&mb);
    stmt_advance_state(&mb.w);
    mb_end_stmt(&mb);
    return mb_finish(&mb, PGCDC_OK, err);
}

pgcdc_code pgcdc_merge_sql_reset_state(const pgcdc_merge_table *t, pgcdc_sql_list *out, pgcdc_error *err)
{
    mbuild mb;
    pgcdc_code rc = mb_begin(&mb, t, out, err);
    if (rc != PGCDC_OK)
        return rc;
    sqlw *w = &mb.w;
    w_puts(w, "DELETE FROM ");
    w_qualified(w, STATE_TABLE);
    w_puts(w, " AS m\nUSING (");
    mg_params_select(w);
    w_puts(w, ") AS prm\nWHERE m.");
    w_ident(w, mg_state_col(mb.m.d, SC_TABLE));
    w_puts(w, " = prm.tbl");
    mb_end_stmt(&mb);
    return mb_finish(&mb, PGCDC_OK, err);
}

/* 2d. after a re-snapshot into an existing destination table: a live row
 * whose key has no journal row up to the bound was in no snapshot chunk and
 * changed by nothing since the table's journal generation began (the table
 * was registered before the snapshot point) - the source no longer has it,
 * so it is soft-deleted. Keys with journal rows got their state from the
 * MERGE just before (the last row wins, a delete included). */
static void stmt_soft_delete_missing(sqlw *w)
{
    w_puts(w, "UPDATE ");
    w_qualified(w, w->m->table);
    w_puts(w, " AS t SET ");
    w_ident(w, M_DELETED);
    w_puts(w, " = TRUE, ");
    w_ident(w, M_UPDATED_AT);
    w_puts(w, " = ");
    w_now(w);
    w_puts(w, "\nFROM (");
    mg_params_select(w);
    w_puts(w, ") AS prm\nWHERE coalesce(");
    w_qcol(w, "t", M_DELETED);
    w_puts(w, ", FALSE) = FALSE\n  AND NOT EXISTS (SELECT 1 FROM ");
    w_qualified(w, w->m->journal);
    w_puts(w, " j WHERE ");
    w_keys_eq(w, "j", "t");
    w_puts(w, " AND ");
    w_pos_cmp(w, "j.\"_PGCDC_LSN\"", "j.\"_PGCDC_SEQ\"", "<=", "prm.hi_lsn", "prm.hi_seq");
    w_puts(w, ")");
}

pgcdc_code pgcdc_merge_sql_resnapshot(const pgcdc_merge_table *t, pgcdc_sql_list *out, pgcdc_error *err)
{
    return build_merge(t, true, out, err);
}
