-- orders, postgresql dialect (PostgreSQL 15+: MERGE), CASE_INSENSITIVE
-- statements: schema, state, table, journal (PostgreSQL: + index), merge (3), initial load (3), reset state
-- journal COPY columns: "ORDER_ID", "CUSTOMER_ID", "PRODUCT_ID", "QUANTITY", "STATUS", "ORDER_DATE", "_PGCDC_LSN", "_PGCDC_SEQ", "_PGCDC_OP", "_PGCDC_COMMIT_TIME", "_PGCDC_UNCHANGED"
-- merge parameters: $1/? bound LSN, $2/? bound SEQ, $3/? 'ORDERS', $4/? 'ORDERS_JOURNAL_1718000000_1'
CREATE SCHEMA IF NOT EXISTS "APP";

CREATE TABLE IF NOT EXISTS "APP"."_PGCDC_MERGE_STATE" (
  "table_name" text PRIMARY KEY,
  "journal" text,
  "merged_lsn" bigint NOT NULL,
  "merged_seq" bigint NOT NULL,
  "updated_at" timestamp without time zone
);

CREATE TABLE "APP"."ORDERS" (
  "ORDER_ID" integer NOT NULL,
  "CUSTOMER_ID" integer,
  "PRODUCT_ID" integer,
  "QUANTITY" integer,
  "STATUS" character varying(20),
  "ORDER_DATE" timestamp without time zone,
  "_SNOWFLAKE_INSERTED_AT" timestamp without time zone,
  "_SNOWFLAKE_UPDATED_AT" timestamp without time zone,
  "_SNOWFLAKE_DELETED" boolean,
  PRIMARY KEY ("ORDER_ID")
);

CREATE TABLE IF NOT EXISTS "APP"."ORDERS_JOURNAL_1718000000_1" (
  "ORDER_ID" integer,
  "CUSTOMER_ID" integer,
  "PRODUCT_ID" integer,
  "QUANTITY" integer,
  "STATUS" character varying(20),
  "ORDER_DATE" timestamp without time zone,
  "_PGCDC_LSN" bigint NOT NULL,
  "_PGCDC_SEQ" bigint NOT NULL,
  "_PGCDC_OP" character(1) NOT NULL,
  "_PGCDC_COMMIT_TIME" timestamp with time zone,
  "_PGCDC_UNCHANGED" text[]
);

CREATE INDEX IF NOT EXISTS "ORDERS_JOURNAL_1718000000_1_POS" ON "APP"."ORDERS_JOURNAL_1718000000_1" ("_PGCDC_LSN", "_PGCDC_SEQ");

INSERT INTO "APP"."_PGCDC_MERGE_STATE" AS m ("table_name", "journal", "merged_lsn", "merged_seq", "updated_at")
SELECT prm.tbl, prm.jn, 0, 0, (now() AT TIME ZONE 'UTC') FROM (SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn) AS prm
ON CONFLICT ("table_name") DO UPDATE SET "journal" = EXCLUDED."journal";

MERGE INTO "APP"."ORDERS" AS t
USING (
WITH RECURSIVE prm AS (
  SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn
), st AS (
  SELECT coalesce(max(m."merged_lsn"), 0) AS lsn, coalesce(max(m."merged_seq"), 0) AS seq
  FROM "APP"."_PGCDC_MERGE_STATE" m, prm
  WHERE m."table_name" = prm.tbl
), win AS (
  SELECT DISTINCT ON (j."_PGCDC_LSN", j."_PGCDC_SEQ") j."ORDER_ID", j."CUSTOMER_ID", j."PRODUCT_ID", j."QUANTITY", j."STATUS", j."ORDER_DATE", j."_PGCDC_LSN", j."_PGCDC_SEQ", j."_PGCDC_OP", j."_PGCDC_UNCHANGED"
  FROM "APP"."ORDERS_JOURNAL_1718000000_1" j, prm, st
  WHERE (j."_PGCDC_LSN", j."_PGCDC_SEQ") > (st.lsn, st.seq)
    AND (j."_PGCDC_LSN", j."_PGCDC_SEQ") <= (prm.hi_lsn, prm.hi_seq)
  ORDER BY j."_PGCDC_LSN", j."_PGCDC_SEQ"
), ks AS (
  SELECT win.*,
    sum(CASE WHEN win."_PGCDC_OP" = 'D' THEN 1 ELSE 0 END) OVER (PARTITION BY win."ORDER_ID" ORDER BY win."_PGCDC_LSN", win."_PGCDC_SEQ" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
      - CASE WHEN win."_PGCDC_OP" = 'D' THEN 1 ELSE 0 END AS "_PGCDC_SEG",
    row_number() OVER (PARTITION BY win."ORDER_ID" ORDER BY win."_PGCDC_LSN" DESC, win."_PGCDC_SEQ" DESC) AS "_PGCDC_LAST"
  FROM win
), sg AS (
  SELECT ks.*,
    first_value(ks."_PGCDC_LSN") OVER (PARTITION BY ks."ORDER_ID", ks."_PGCDC_SEG" ORDER BY ks."_PGCDC_LSN", ks."_PGCDC_SEQ") AS "_PGCDC_SEG_LSN",
    first_value(ks."_PGCDC_SEQ") OVER (PARTITION BY ks."ORDER_ID", ks."_PGCDC_SEG" ORDER BY ks."_PGCDC_LSN", ks."_PGCDC_SEQ") AS "_PGCDC_SEG_SEQ"
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
    sum(CASE WHEN x."_PGCDC_OP" <> 'D' AND NOT coalesce('STATUS' = ANY(x."_PGCDC_UNCHANGED"), false) THEN 1 ELSE 0 END) OVER (PARTITION BY x."_PGCDC_ROOT_LSN", x."_PGCDC_ROOT_SEQ" ORDER BY x."_PGCDC_LSN", x."_PGCDC_SEQ" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_PGCDC_G5"
  FROM lr x JOIN need ON need.root_lsn = x."_PGCDC_ROOT_LSN" AND need.root_seq = x."_PGCDC_ROOT_SEQ"
), val AS (
  SELECT x.*,
    first_value(x."STATUS") OVER (PARTITION BY x."_PGCDC_ROOT_LSN", x."_PGCDC_ROOT_SEQ", x."_PGCDC_G5" ORDER BY x."_PGCDC_LSN", x."_PGCDC_SEQ") AS "_PGCDC_V5"
  FROM cnt x
), res AS (
  SELECT x."_PGCDC_LSN", x."_PGCDC_SEQ",
    CASE WHEN x."_PGCDC_G5" > 0 THEN x."_PGCDC_V5" WHEN dr."ORDER_ID" IS NOT NULL THEN dr."STATUS" ELSE x."STATUS" END AS "_PGCDC_V5"
  FROM val x
  JOIN lr rt ON rt."_PGCDC_LSN" = x."_PGCDC_ROOT_LSN" AND rt."_PGCDC_SEQ" = x."_PGCDC_ROOT_SEQ"
  LEFT JOIN "APP"."ORDERS" dr ON rt."_PGCDC_SEG" = 0 AND rt."_PGCDC_OP" <> 'I' AND dr."ORDER_ID" = rt."ORDER_ID"
  WHERE x."_PGCDC_LAST" = 1 AND x."_PGCDC_OP" <> 'D'
)
SELECT
  x."ORDER_ID",
  x."CUSTOMER_ID",
  x."PRODUCT_ID",
  x."QUANTITY",
  CASE WHEN coalesce('STATUS' = ANY(x."_PGCDC_UNCHANGED"), false) THEN res."_PGCDC_V5" ELSE x."STATUS" END AS "STATUS",
  x."ORDER_DATE",
  x."_PGCDC_OP"
FROM lr x LEFT JOIN res ON res."_PGCDC_LSN" = x."_PGCDC_LSN" AND res."_PGCDC_SEQ" = x."_PGCDC_SEQ"
WHERE x."_PGCDC_LAST" = 1
) AS s
ON t."ORDER_ID" = s."ORDER_ID"
WHEN MATCHED AND s."_PGCDC_OP" = 'D' THEN
  UPDATE SET "_SNOWFLAKE_DELETED" = TRUE, "_SNOWFLAKE_UPDATED_AT" = (now() AT TIME ZONE 'UTC')
WHEN MATCHED THEN
  UPDATE SET "CUSTOMER_ID" = s."CUSTOMER_ID", "PRODUCT_ID" = s."PRODUCT_ID", "QUANTITY" = s."QUANTITY", "STATUS" = s."STATUS", "ORDER_DATE" = s."ORDER_DATE", "_SNOWFLAKE_DELETED" = FALSE, "_SNOWFLAKE_UPDATED_AT" = (now() AT TIME ZONE 'UTC')
WHEN NOT MATCHED AND s."_PGCDC_OP" <> 'D' THEN
  INSERT ("ORDER_ID", "CUSTOMER_ID", "PRODUCT_ID", "QUANTITY", "STATUS", "ORDER_DATE", "_SNOWFLAKE_INSERTED_AT", "_SNOWFLAKE_UPDATED_AT", "_SNOWFLAKE_DELETED")
  VALUES (s."ORDER_ID", s."CUSTOMER_ID", s."PRODUCT_ID", s."QUANTITY", s."STATUS", s."ORDER_DATE", (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC'), FALSE);

UPDATE "APP"."_PGCDC_MERGE_STATE" AS m SET "merged_lsn" = prm.hi_lsn, "merged_seq" = prm.hi_seq, "journal" = prm.jn, "updated_at" = (now() AT TIME ZONE 'UTC')
FROM (SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn) AS prm
WHERE m."table_name" = prm.tbl AND (m."merged_lsn", m."merged_seq") < (prm.hi_lsn, prm.hi_seq);

INSERT INTO "APP"."_PGCDC_MERGE_STATE" AS m ("table_name", "journal", "merged_lsn", "merged_seq", "updated_at")
SELECT prm.tbl, prm.jn, 0, 0, (now() AT TIME ZONE 'UTC') FROM (SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn) AS prm
ON CONFLICT ("table_name") DO UPDATE SET "journal" = EXCLUDED."journal";

INSERT INTO "APP"."ORDERS" ("ORDER_ID", "CUSTOMER_ID", "PRODUCT_ID", "QUANTITY", "STATUS", "ORDER_DATE", "_SNOWFLAKE_INSERTED_AT", "_SNOWFLAKE_UPDATED_AT", "_SNOWFLAKE_DELETED")
SELECT j."ORDER_ID", j."CUSTOMER_ID", j."PRODUCT_ID", j."QUANTITY", j."STATUS", j."ORDER_DATE", (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC'), FALSE
FROM "APP"."ORDERS_JOURNAL_1718000000_1" j, (SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn) AS prm
WHERE (j."_PGCDC_LSN", j."_PGCDC_SEQ") <= (prm.hi_lsn, prm.hi_seq) AND j."_PGCDC_OP" <> 'D'
  AND NOT EXISTS (SELECT 1 FROM "APP"."_PGCDC_MERGE_STATE" m WHERE m."table_name" = prm.tbl AND (j."_PGCDC_LSN", j."_PGCDC_SEQ") <= (m."merged_lsn", m."merged_seq"));

UPDATE "APP"."_PGCDC_MERGE_STATE" AS m SET "merged_lsn" = prm.hi_lsn, "merged_seq" = prm.hi_seq, "journal" = prm.jn, "updated_at" = (now() AT TIME ZONE 'UTC')
FROM (SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn) AS prm
WHERE m."table_name" = prm.tbl AND (m."merged_lsn", m."merged_seq") < (prm.hi_lsn, prm.hi_seq);

DELETE FROM "APP"."_PGCDC_MERGE_STATE" AS m
USING (SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn) AS prm
WHERE m."table_name" = prm.tbl;
