-- re-snapshot merge of order_lines, postgresql dialect (PostgreSQL 10-14: ON CONFLICT)
-- statements: lock state, merge, soft-delete rows the snapshot lacks, advance state
INSERT INTO "app"."_PGCDC_MERGE_STATE" AS m ("table_name", "journal", "merged_lsn", "merged_seq", "updated_at")
SELECT prm.tbl, prm.jn, 0, 0, (now() AT TIME ZONE 'UTC') FROM (SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn) AS prm
ON CONFLICT ("table_name") DO UPDATE SET "journal" = EXCLUDED."journal";

WITH RECURSIVE prm AS (
  SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn
), st AS (
  SELECT coalesce(max(m."merged_lsn"), 0) AS lsn, coalesce(max(m."merged_seq"), 0) AS seq
  FROM "app"."_PGCDC_MERGE_STATE" m, prm
  WHERE m."table_name" = prm.tbl
), win AS (
  SELECT DISTINCT ON (j."_PGCDC_LSN", j."_PGCDC_SEQ") j."sku", j."order_id", j."qty", j."line_no", j."note", j."_PGCDC_LSN", j."_PGCDC_SEQ", j."_PGCDC_OP", j."_PGCDC_UNCHANGED"
  FROM "app"."order_lines_JOURNAL_1718000000_1" j, prm, st
  WHERE (j."_PGCDC_LSN", j."_PGCDC_SEQ") > (st.lsn, st.seq)
    AND (j."_PGCDC_LSN", j."_PGCDC_SEQ") <= (prm.hi_lsn, prm.hi_seq)
  ORDER BY j."_PGCDC_LSN", j."_PGCDC_SEQ"
), ks AS (
  SELECT win.*,
    sum(CASE WHEN win."_PGCDC_OP" = 'D' THEN 1 ELSE 0 END) OVER (PARTITION BY win."order_id", win."line_no" ORDER BY win."_PGCDC_LSN", win."_PGCDC_SEQ" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
      - CASE WHEN win."_PGCDC_OP" = 'D' THEN 1 ELSE 0 END AS "_PGCDC_SEG",
    row_number() OVER (PARTITION BY win."order_id", win."line_no" ORDER BY win."_PGCDC_LSN" DESC, win."_PGCDC_SEQ" DESC) AS "_PGCDC_LAST"
  FROM win
), sg AS (
  SELECT ks.*,
    first_value(ks."_PGCDC_LSN") OVER (PARTITION BY ks."order_id", ks."line_no", ks."_PGCDC_SEG" ORDER BY ks."_PGCDC_LSN", ks."_PGCDC_SEQ") AS "_PGCDC_SEG_LSN",
    first_value(ks."_PGCDC_SEQ") OVER (PARTITION BY ks."order_id", ks."line_no", ks."_PGCDC_SEG" ORDER BY ks."_PGCDC_LSN", ks."_PGCDC_SEQ") AS "_PGCDC_SEG_SEQ"
  FROM ks
), lnk AS (
  SELECT i."_PGCDC_SEG_LSN" AS c_lsn, i."_PGCDC_SEG_SEQ" AS c_seq, d."_PGCDC_SEG_LSN" AS p_lsn, d."_PGCDC_SEG_SEQ" AS p_seq
  FROM sg i JOIN sg d ON d."_PGCDC_LSN" = i."_PGCDC_LSN" AND d."_PGCDC_SEQ" = i."_PGCDC_SEQ" - 1 AND d."_PGCDC_OP" = 'D'
  WHERE i."_PGCDC_OP" = 'I' AND cardinality(i."_PGCDC_UNCHANGED") > 0
    AND i."_PGCDC_LSN" = i."_PGCDC_SEG_LSN" AND i."_PGCDC_SEQ" = i."_PGCDC_SEG_SEQ"
), lin (c_lsn, c_seq, root_lsn, root_seq) AS (
  SELECT a.c_lsn, a.c_seq, a.p_lsn, a.p_seq FROM lnk a
  WHERE NOT EXISTS (SELECT 1 FROM lnk b WHERE b.c_lsn = a.p_lsn AND b.c_seq = a.p_seq)
  UNION ALL
  SELECT a.c_lsn, a.c_seq, lin.root_lsn, lin.root_seq
  FROM lin JOIN lnk a ON a.p_lsn = lin.c_lsn AND a.p_seq = lin.c_seq
), lr AS (
  SELECT sg.*, coalesce(lin.root_lsn, sg."_PGCDC_SEG_LSN") AS "_PGCDC_ROOT_LSN", coalesce(lin.root_seq, sg."_PGCDC_SEG_SEQ") AS "_PGCDC_ROOT_SEQ"
  FROM sg LEFT JOIN lin ON lin.c_lsn = sg."_PGCDC_SEG_LSN" AND lin.c_seq = sg."_PGCDC_SEG_SEQ"
), need AS (
  SELECT DISTINCT x."_PGCDC_ROOT_LSN" AS root_lsn, x."_PGCDC_ROOT_SEQ" AS root_seq FROM lr x
  WHERE x."_PGCDC_LAST" = 1 AND x."_PGCDC_OP" <> 'D' AND cardinality(x."_PGCDC_UNCHANGED") > 0
), cnt AS (
  SELECT x.*,
    sum(CASE WHEN x."_PGCDC_OP" <> 'D' AND NOT coalesce('sku' = ANY(x."_PGCDC_UNCHANGED"), false) THEN 1 ELSE 0 END) OVER (PARTITION BY x."_PGCDC_ROOT_LSN", x."_PGCDC_ROOT_SEQ" ORDER BY x."_PGCDC_LSN", x."_PGCDC_SEQ" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_PGCDC_G1",
    sum(CASE WHEN x."_PGCDC_OP" <> 'D' AND NOT coalesce('note' = ANY(x."_PGCDC_UNCHANGED"), false) THEN 1 ELSE 0 END) OVER (PARTITION BY x."_PGCDC_ROOT_LSN", x."_PGCDC_ROOT_SEQ" ORDER BY x."_PGCDC_LSN", x."_PGCDC_SEQ" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_PGCDC_G5"
  FROM lr x JOIN need ON need.root_lsn = x."_PGCDC_ROOT_LSN" AND need.root_seq = x."_PGCDC_ROOT_SEQ"
), val AS (
  SELECT x.*,
    first_value(x."sku") OVER (PARTITION BY x."_PGCDC_ROOT_LSN", x."_PGCDC_ROOT_SEQ", x."_PGCDC_G1" ORDER BY x."_PGCDC_LSN", x."_PGCDC_SEQ") AS "_PGCDC_V1",
    first_value(x."note") OVER (PARTITION BY x."_PGCDC_ROOT_LSN", x."_PGCDC_ROOT_SEQ", x."_PGCDC_G5" ORDER BY x."_PGCDC_LSN", x."_PGCDC_SEQ") AS "_PGCDC_V5"
  FROM cnt x
), res AS (
  SELECT x."_PGCDC_LSN", x."_PGCDC_SEQ",
    CASE WHEN x."_PGCDC_G1" > 0 THEN x."_PGCDC_V1" WHEN dr."order_id" IS NOT NULL THEN dr."sku" ELSE x."sku" END AS "_PGCDC_V1",
    CASE WHEN x."_PGCDC_G5" > 0 THEN x."_PGCDC_V5" WHEN dr."order_id" IS NOT NULL THEN dr."note" ELSE x."note" END AS "_PGCDC_V5"
  FROM val x
  JOIN lr rt ON rt."_PGCDC_LSN" = x."_PGCDC_ROOT_LSN" AND rt."_PGCDC_SEQ" = x."_PGCDC_ROOT_SEQ"
  LEFT JOIN "app"."order_lines" dr ON rt."_PGCDC_SEG" = 0 AND rt."_PGCDC_OP" <> 'I' AND dr."order_id" = rt."order_id" AND dr."line_no" = rt."line_no"
  WHERE x."_PGCDC_LAST" = 1 AND x."_PGCDC_OP" <> 'D'
), s AS (
SELECT
  CASE WHEN coalesce('sku' = ANY(x."_PGCDC_UNCHANGED"), false) THEN res."_PGCDC_V1" ELSE x."sku" END AS "sku",
  x."order_id",
  x."qty",
  x."line_no",
  CASE WHEN coalesce('note' = ANY(x."_PGCDC_UNCHANGED"), false) THEN res."_PGCDC_V5" ELSE x."note" END AS "note",
  x."_PGCDC_OP"
FROM lr x LEFT JOIN res ON res."_PGCDC_LSN" = x."_PGCDC_LSN" AND res."_PGCDC_SEQ" = x."_PGCDC_SEQ"
WHERE x."_PGCDC_LAST" = 1
), del AS (
  UPDATE "app"."order_lines" AS t SET "_SNOWFLAKE_DELETED" = TRUE, "_SNOWFLAKE_UPDATED_AT" = (now() AT TIME ZONE 'UTC')
  FROM s WHERE s."_PGCDC_OP" = 'D' AND t."order_id" = s."order_id" AND t."line_no" = s."line_no"
)
INSERT INTO "app"."order_lines" AS t ("sku", "order_id", "qty", "line_no", "note", "_SNOWFLAKE_INSERTED_AT", "_SNOWFLAKE_UPDATED_AT", "_SNOWFLAKE_DELETED")
SELECT s."sku", s."order_id", s."qty", s."line_no", s."note", (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC'), FALSE
FROM s WHERE s."_PGCDC_OP" <> 'D'
ON CONFLICT ("order_id", "line_no") DO UPDATE SET "sku" = EXCLUDED."sku", "qty" = EXCLUDED."qty", "note" = EXCLUDED."note", "_SNOWFLAKE_DELETED" = FALSE, "_SNOWFLAKE_UPDATED_AT" = EXCLUDED."_SNOWFLAKE_UPDATED_AT";

UPDATE "app"."order_lines" AS t SET "_SNOWFLAKE_DELETED" = TRUE, "_SNOWFLAKE_UPDATED_AT" = (now() AT TIME ZONE 'UTC')
FROM (SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn) AS prm
WHERE coalesce(t."_SNOWFLAKE_DELETED", FALSE) = FALSE
  AND NOT EXISTS (SELECT 1 FROM "app"."order_lines_JOURNAL_1718000000_1" j WHERE j."order_id" = t."order_id" AND j."line_no" = t."line_no" AND (j."_PGCDC_LSN", j."_PGCDC_SEQ") <= (prm.hi_lsn, prm.hi_seq));

UPDATE "app"."_PGCDC_MERGE_STATE" AS m SET "merged_lsn" = prm.hi_lsn, "merged_seq" = prm.hi_seq, "journal" = prm.jn, "updated_at" = (now() AT TIME ZONE 'UTC')
FROM (SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn) AS prm
WHERE m."table_name" = prm.tbl AND (m."merged_lsn", m."merged_seq") < (prm.hi_lsn, prm.hi_seq);
