/* window.c - the source of a merge: the journal rows of the window, each
 * (LSN, SEQ) once, reduced to one row per key with its final values.
 *
 * The last row of a key in (LSN, SEQ) order decides: 'D' deletes, anything
 * else upserts. A column listed in the deciding row's _PGCDC_UNCHANGED is
 * unchanged TOAST and takes the value the row had before: the latest earlier
 * row that set it, else the destination's current value. "Earlier" follows
 * the row, not the key: an UPDATE that changes the key is journalled as a 'D'
 * of the old key at SEQ s and an 'I' of the new key at s + 1, and that 'I' is
 * the only kind of insert that can carry unchanged columns - it continues the
 * old key's row. So the window is cut into segments (the rows of one key up to
 * and including a 'D'), a key-change 'I' links its segment to the segment its
 * 'D' ends, and the chain of linked segments (a lineage, found by a recursive
 * CTE over the links, which are rare) is where earlier values are looked up.
 * docs/merge.md walks through the CTEs one by one.
 *
 * Only lineages whose deciding row has unchanged columns go through the
 * per-column window functions; everything else costs two sorts of the window.
 */
#include "merge_internal.h"

#include <stdio.h>

/* names of the computed columns (prefix _PGCDC_: user columns cannot have it) */
#define X_SEG "\"_PGCDC_SEG\""
#define X_LAST "\"_PGCDC_LAST\""
#define X_SEG_LSN "\"_PGCDC_SEG_LSN\""
#define X_SEG_SEQ "\"_PGCDC_SEG_SEQ\""
#define X_ROOT_LSN "\"_PGCDC_ROOT_LSN\""
#define X_ROOT_SEQ "\"_PGCDC_ROOT_SEQ\""
#define Q_LSN "\"_PGCDC_LSN\""
#define Q_SEQ "\"_PGCDC_SEQ\""
#define Q_OP "\"_PGCDC_OP\""

void mg_params_select(sqlw *w)
{
    if (w->m->d == PGCDC_DIALECT_POSTGRES)
        w_puts(w, "SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, "
                  "CAST($4 AS text) AS jn");
    else
        w_puts(w, "SELECT CAST(? AS NUMBER(20,0)) AS hi_lsn, CAST(? AS NUMBER(20,0)) AS hi_seq, "
                  "CAST(? AS VARCHAR) AS tbl, CAST(? AS VARCHAR) AS jn");
}

/* a window over alias's rows of one key, in (LSN, SEQ) order */
static void over_key(sqlw *w, const char *a, const char *extra_partition, bool desc, bool cumulative)
{
    w_puts(w, " OVER (PARTITION BY ");
    w_keys(w, a, ", ");
    if (extra_partition)
        w_printf(w, ", %s.%s", a, extra_partition);
    w_puts(w, " ORDER BY ");
    w_pos_order(w, a, desc);
    if (cumulative)
        w_puts(w, " ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW");
    w_puts(w, ")");
}

/* prm: the parameters; st: the merged position (0, 0 before the first merge) */
static void cte_params_state(sqlw *w)
{
    pgcdc_dialect d = w->m->d;
    w_puts(w, "prm AS (\n  ");
    mg_params_select(w);
    w_puts(w, "\n), st AS (\n  SELECT coalesce(max(m.");
    w_ident(w, mg_state_col(d, SC_LSN));
    w_puts(w, "), 0) AS lsn, coalesce(max(m.");
    w_ident(w, mg_state_col(d, SC_SEQ));
    w_puts(w, "), 0) AS seq\n  FROM ");
    w_qualified(w, STATE_TABLE);
    w_puts(w, " m, prm\n  WHERE m.");
    w_ident(w, mg_state_col(d, SC_TABLE));
    w_puts(w, " = prm.tbl\n)");
}

/* win: the journal rows after the merged position up to the bound, each
 * (LSN, SEQ) once - rows loaded again after a crash are exact duplicates */
static void cte_window(sqlw *w)
{
    const mctx *m = w->m;
    bool pg = m->d == PGCDC_DIALECT_POSTGRES;
    w_puts(w, ", win AS (\n  SELECT ");
    if (pg)
        w_puts(w, "DISTINCT ON (j." Q_LSN ", j." Q_SEQ ") ");
    for (size_t i = 0; i < m->ncols; i++) {
        w_qcol(w, "j", m->cols[i].name);
        w_puts(w, ", ");
    }
    w_puts(w, "j." Q_LSN ", j." Q_SEQ ", j." Q_OP);
    if (m->ntoast)
        w_printf(w, ", j.\"%s\"", J_UNCHANGED);
    w_puts(w, "\n  FROM ");
    w_qualified(w, m->journal);
    w_puts(w, " j, prm, st\n  WHERE ");
    w_pos_cmp(w, "j." Q_LSN, "j." Q_SEQ, ">", "st.lsn", "st.seq");
    w_puts(w, "\n    AND ");
    w_pos_cmp(w, "j." Q_LSN, "j." Q_SEQ, "<=", "prm.hi_lsn", "prm.hi_seq");
    if (pg)
        w_puts(w, "\n  ORDER BY j." Q_LSN ", j." Q_SEQ "\n)");
    else
        w_puts(w, "\n  QUALIFY row_number() OVER (PARTITION BY j." Q_LSN ", j." Q_SEQ " ORDER BY j." Q_LSN
                  ") = 1\n)");
}

/* ks: per key, the segment number (deletes of the key strictly before the
 * row) and the row's rank from the end (1 = the deciding row) */
static void cte_key_rank(sqlw *w, bool segments)
{
    w_puts(w, ", ks AS (\n  SELECT win.*,\n    ");
    if (segments) {
        w_puts(w, "sum(CASE WHEN win." Q_OP " = 'D' THEN 1 ELSE 0 END)");
        over_key(w, "win", NULL, false, true);
        w_puts(w, "\n      - CASE WHEN win." Q_OP " = 'D' THEN 1 ELSE 0 END AS " X_SEG ",\n    ");
    }
    w_puts(w, "row_number()");
    over_key(w, "win", NULL, true, false);
    w_puts(w, " AS " X_LAST "\n  FROM win\n)");
}

/* sg: each row with its segment's id, the (LSN, SEQ) of the segment's first row */
static void cte_segments(sqlw *w)
{
    w_puts(w, ", sg AS (\n  SELECT ks.*,\n    first_value(ks." Q_LSN ")");
    over_key(w, "ks", X_SEG, false, false);
    w_puts(w, " AS " X_SEG_LSN ",\n    first_value(ks." Q_SEQ ")");
    over_key(w, "ks", X_SEG, false, false);
    w_puts(w, " AS " X_SEG_SEQ "\n  FROM ks\n)");
}

/* lnk: key changes whose new row has unchanged columns - the new key's
 * segment continues the segment the old key's 'D' (SEQ - 1) ends.
 * lin: each linked segment's lineage root, following links back. */
static void cte_links(sqlw *w)
{
    w_puts(w, ", lnk AS (\n  SELECT i." X_SEG_LSN " AS c_lsn, i." X_SEG_SEQ " AS c_seq, d." X_SEG_LSN
              " AS p_lsn, d." X_SEG_SEQ " AS p_seq\n"
              "  FROM sg i JOIN sg d ON d." Q_LSN " = i." Q_LSN " AND d." Q_SEQ " = i." Q_SEQ " - 1 AND d." Q_OP
              " = 'D'\n  WHERE i." Q_OP " = 'I' AND ");
    w_has_unchanged(w, "i");
    w_puts(w, "\n    AND i." Q_LSN " = i." X_SEG_LSN " AND i." Q_SEQ " = i." X_SEG_SEQ "\n"
              "), lin (c_lsn, c_seq, root_lsn, root_seq) AS (\n"
              "  SELECT a.c_lsn, a.c_seq, a.p_lsn, a.p_seq FROM lnk a\n"
              "  WHERE NOT EXISTS (SELECT 1 FROM lnk b WHERE b.c_lsn = a.p_lsn AND b.c_seq = a.p_seq)\n"
              "  UNION ALL\n"
              "  SELECT a.c_lsn, a.c_seq, lin.root_lsn, lin.root_seq\n"
              "  FROM lin JOIN lnk a ON a.p_lsn = lin.c_lsn AND a.p_seq = lin.c_seq\n"
              "), lr AS (\n"
              "  SELECT sg.*, coalesce(lin.root_lsn, sg." X_SEG_LSN ") AS " X_ROOT_LSN
              ", coalesce(lin.root_seq, sg." X_SEG_SEQ ") AS " X_ROOT_SEQ "\n"
              "  FROM sg LEFT JOIN lin ON lin.c_lsn = sg." X_SEG_LSN " AND lin.c_seq = sg." X_SEG_SEQ "\n)");
}

/* the lineage partition and order of alias x's rows */
static void over_lineage(sqlw *w, const char *extra_partition, bool cumulative)
{
    w_puts(w, " OVER (PARTITION BY x." X_ROOT_LSN ", x." X_ROOT_SEQ);
    if (extra_partition)
        w_printf(w, ", x.%s", extra_partition);
    w_puts(w, " ORDER BY x." Q_LSN ", x." Q_SEQ);
    if (cumulative)
        w_puts(w, " ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW");
    w_puts(w, ")");
}

/* need: lineages whose deciding row has unchanged columns.
 * cnt: per toastable column i, "_PGCDC_G<i>" = rows of the lineage so far
 * that set the column (a 'D' sets nothing);
 * val: "_PGCDC_V<i>" = the column in the first row of its G group, i.e. the
 * latest row that set it;
 * res: for each deciding row, per column, that value - or, when no row of the
 * lineage set it, the destination's value of the lineage's first key (if the
 * lineage starts at a row the destination already had: no earlier delete in
 * the window, not an insert), or else the journal's own value (the
 * placeholder: nothing better is known). */
static void cte_values(sqlw *w)
{
    const mctx *m = w->m;
    char g[32], v[32];
    w_puts(w, ", need AS (\n  SELECT DISTINCT x." X_ROOT_LSN " AS root_lsn, x." X_ROOT_SEQ " AS root_seq FROM lr x\n"
              "  WHERE x." X_LAST " = 1 AND x." Q_OP " <> 'D' AND ");
    w_has_unchanged(w, "x");
    w_puts(w, "\n), cnt AS (\n  SELECT x.*");
    for (size_t i = 0; i < m->ncols; i++) {
        if (!m->cols[i].toastable)
            continue;
        w_puts(w, ",\n    sum(CASE WHEN x." Q_OP " <> 'D' AND NOT ");
        w_is_unchanged(w, "x", m->cols[i].name);
        w_puts(w, " THEN 1 ELSE 0 END)");
        over_lineage(w, NULL, true);
        w_printf(w, " AS \"_PGCDC_G%zu\"", i + 1);
    }
    w_puts(w, "\n  FROM lr x JOIN need ON need.root_lsn = x." X_ROOT_LSN " AND need.root_seq = x." X_ROOT_SEQ "\n"
              "), val AS (\n  SELECT x.*");
    for (size_t i = 0; i < m->ncols; i++) {
        if (!m->cols[i].toastable)
            continue;
        snprintf(g, sizeof g, "\"_PGCDC_G%zu\"", i + 1);
        w_puts(w, ",\n    first_value(");
        w_qcol(w, "x", m->cols[i].name);
        w_puts(w, ")");
        over_lineage(w, g, false);
        w_printf(w, " AS \"_PGCDC_V%zu\"", i + 1);
    }
    w_puts(w, "\n  FROM cnt x\n), res AS (\n  SELECT x." Q_LSN ", x." Q_SEQ);
    const char *key1 = NULL;
    for (size_t i = 0; i < m->ncols && !key1; i++)
        if (m->cols[i].key)
            key1 = m->cols[i].name;
    for (size_t i = 0; i < m->ncols; i++) {
        if (!m->cols[i].toastable)
            continue;
        snprintf(g, sizeof g, "\"_PGCDC_G%zu\"", i + 1);
        snprintf(v, sizeof v, "\"_PGCDC_V%zu\"", i + 1);
        w_printf(w, ",\n    CASE WHEN x.%s > 0 THEN x.%s WHEN ", g, v);
        w_qcol(w, "dr", key1);
        w_puts(w, " IS NOT NULL THEN ");
        w_qcol(w, "dr", m->cols[i].name);
        w_puts(w, " ELSE ");
        w_qcol(w, "x", m->cols[i].name);
        w_printf(w, " END AS %s", v);
    }
    w_puts(w, "\n  FROM val x\n  JOIN lr rt ON rt." Q_LSN " = x." X_ROOT_LSN " AND rt." Q_SEQ " = x." X_ROOT_SEQ
              "\n  LEFT JOIN ");
    w_qualified(w, m->table);
    w_puts(w, " dr ON rt." X_SEG " = 0 AND rt." Q_OP " <> 'I' AND ");
    w_keys_eq(w, "dr", "rt");
    w_puts(w, "\n  WHERE x." X_LAST " = 1 AND x." Q_OP " <> 'D'\n)");
}

/* the final SELECT: one row per key */
static void final_select(sqlw *w)
{
    const mctx *m = w->m;
    bool full = m->ntoast > 0;
    w_puts(w, "SELECT\n  ");
    for (size_t i = 0; i < m->ncols; i++) {
        const mcol *c = &m->cols[i];
        if (c->toastable) {
            w_puts(w, "CASE WHEN ");
            w_is_unchanged(w, "x", c->name);
            w_printf(w, " THEN res.\"_PGCDC_V%zu\" ELSE ", i + 1);
            w_qcol(w, "x", c->name);
            w_puts(w, " END AS ");
            w_ident(w, c->name);
        } else {
            w_qcol(w, "x", c->name);
        }
        w_puts(w, ",\n  ");
    }
    w_puts(w, "x." Q_OP "\n");
    if (full)
        w_puts(w, "FROM lr x LEFT JOIN res ON res." Q_LSN " = x." Q_LSN " AND res." Q_SEQ " = x." Q_SEQ "\n");
    else
        w_puts(w, "FROM ks x\n");
    w_puts(w, "WHERE x." X_LAST " = 1");
}

void mg_source_query(sqlw *w, bool as_ctes)
{
    bool full = w->m->ntoast > 0;
    w_puts(w, full ? "WITH RECURSIVE " : "WITH ");
    cte_params_state(w);
    cte_window(w);
    cte_key_rank(w, full);
    if (full) {
        cte_segments(w);
        cte_links(w);
        cte_values(w);
    }
    if (as_ctes) {
        w_puts(w, ", s AS (\n");
        final_select(w);
        w_puts(w, "\n)");
    } else {
        w_puts(w, "\n");
        final_select(w);
    }
}
