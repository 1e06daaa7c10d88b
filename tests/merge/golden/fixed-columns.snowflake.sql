-- counters, snowflake dialect, CASE_SENSITIVE
-- statements: schema, state, table, journal (PostgreSQL: + index), merge (3), initial load (3), reset state
-- journal COPY columns: "id", "n", "at", "_PGCDC_LSN", "_PGCDC_SEQ", "_PGCDC_OP", "_PGCDC_COMMIT_TIME", "_PGCDC_UNCHANGED"
-- merge parameters: $1/? bound LSN, $2/? bound SEQ, $3/? 'counters', $4/? 'counters_JOURNAL_1718000000_1'
CREATE SCHEMA IF NOT EXISTS "app";

CREATE TABLE IF NOT EXISTS "app"."_PGCDC_MERGE_STATE" (
  "TABLE_NAME" VARCHAR PRIMARY KEY,
  "JOURNAL" VARCHAR,
  "MERGED_LSN" NUMBER(20,0) NOT NULL,
  "MERGED_SEQ" NUMBER(20,0) NOT NULL,
  "UPDATED_AT" TIMESTAMP_NTZ
);

CREATE TABLE "app"."counters" (
  "id" NUMBER(38,0) NOT NULL,
  "n" NUMBER(38,0),
  "at" TIMESTAMP_LTZ(6),
  "_SNOWFLAKE_INSERTED_AT" TIMESTAMP_NTZ,
  "_SNOWFLAKE_UPDATED_AT" TIMESTAMP_NTZ,
  "_SNOWFLAKE_DELETED" BOOLEAN
);

CREATE TABLE IF NOT EXISTS "app"."counters_JOURNAL_1718000000_1" (
  "id" NUMBER(38,0),
  "n" NUMBER(38,0),
  "at" TIMESTAMP_LTZ(6),
  "_PGCDC_LSN" NUMBER(20,0) NOT NULL,
  "_PGCDC_SEQ" NUMBER(20,0) NOT NULL,
  "_PGCDC_OP" VARCHAR(1) NOT NULL,
  "_PGCDC_COMMIT_TIME" TIMESTAMP_TZ,
  "_PGCDC_UNCHANGED" ARRAY
);

MERGE INTO "app"."_PGCDC_MERGE_STATE" AS m
USING (SELECT CAST(? AS NUMBER(20,0)) AS hi_lsn, CAST(? AS NUMBER(20,0)) AS hi_seq, CAST(? AS VARCHAR) AS tbl, CAST(? AS VARCHAR) AS jn) AS prm
ON m."TABLE_NAME" = prm.tbl
WHEN MATCHED THEN UPDATE SET "JOURNAL" = prm.jn
WHEN NOT MATCHED THEN INSERT ("TABLE_NAME", "JOURNAL", "MERGED_LSN", "MERGED_SEQ", "UPDATED_AT")
  VALUES (prm.tbl, prm.jn, 0, 0, SYSDATE());

MERGE INTO "app"."counters" AS t
USING (
WITH prm AS (
  SELECT CAST(? AS NUMBER(20,0)) AS hi_lsn, CAST(? AS NUMBER(20,0)) AS hi_seq, CAST(? AS VARCHAR) AS tbl, CAST(? AS VARCHAR) AS jn
), st AS (
  SELECT coalesce(max(m."MERGED_LSN"), 0) AS lsn, coalesce(max(m."MERGED_SEQ"), 0) AS seq
  FROM "app"."_PGCDC_MERGE_STATE" m, prm
  WHERE m."TABLE_NAME" = prm.tbl
), win AS (
  SELECT j."id", j."n", j."at", j."_PGCDC_LSN", j."_PGCDC_SEQ", j."_PGCDC_OP"
  FROM "app"."counters_JOURNAL_1718000000_1" j, prm, st
  WHERE (j."_PGCDC_LSN" > st.lsn OR (j."_PGCDC_LSN" = st.lsn AND j."_PGCDC_SEQ" > st.seq))
    AND (j."_PGCDC_LSN" < prm.hi_lsn OR (j."_PGCDC_LSN" = prm.hi_lsn AND j."_PGCDC_SEQ" <= prm.hi_seq))
  QUALIFY row_number() OVER (PARTITION BY j."_PGCDC_LSN", j."_PGCDC_SEQ" ORDER BY j."_PGCDC_LSN") = 1
), ks AS (
  SELECT win.*,
    row_number() OVER (PARTITION BY win."id" ORDER BY win."_PGCDC_LSN" DESC, win."_PGCDC_SEQ" DESC) AS "_PGCDC_LAST"
  FROM win
)
SELECT
  x."id",
  x."n",
  x."at",
  x."_PGCDC_OP"
FROM ks x
WHERE x."_PGCDC_LAST" = 1
) AS s
ON t."id" = s."id"
WHEN MATCHED AND s."_PGCDC_OP" = 'D' THEN
  UPDATE SET "_SNOWFLAKE_DELETED" = TRUE, "_SNOWFLAKE_UPDATED_AT" = SYSDATE()
WHEN MATCHED THEN
  UPDATE SET "n" = s."n", "at" = s."at", "_SNOWFLAKE_DELETED" = FALSE, "_SNOWFLAKE_UPDATED_AT" = SYSDATE()
WHEN NOT MATCHED AND s."_PGCDC_OP" <> 'D' THEN
  INSERT ("id", "n", "at", "_SNOWFLAKE_INSERTED_AT", "_SNOWFLAKE_UPDATED_AT", "_SNOWFLAKE_DELETED")
  VALUES (s."id", s."n", s."at", SYSDATE(), SYSDATE(), FALSE);

UPDATE "app"."_PGCDC_MERGE_STATE" AS m SET "MERGED_LSN" = prm.hi_lsn, "MERGED_SEQ" = prm.hi_seq, "JOURNAL" = prm.jn, "UPDATED_AT" = SYSDATE()
FROM (SELECT CAST(? AS NUMBER(20,0)) AS hi_lsn, CAST(? AS NUMBER(20,0)) AS hi_seq, CAST(? AS VARCHAR) AS tbl, CAST(? AS VARCHAR) AS jn) AS prm
WHERE m."TABLE_NAME" = prm.tbl AND (m."MERGED_LSN" < prm.hi_lsn OR (m."MERGED_LSN" = prm.hi_lsn AND m."MERGED_SEQ" < prm.hi_seq));

MERGE INTO "app"."_PGCDC_MERGE_STATE" AS m
USING (SELECT CAST(? AS NUMBER(20,0)) AS hi_lsn, CAST(? AS NUMBER(20,0)) AS hi_seq, CAST(? AS VARCHAR) AS tbl, CAST(? AS VARCHAR) AS jn) AS prm
ON m."TABLE_NAME" = prm.tbl
WHEN MATCHED THEN UPDATE SET "JOURNAL" = prm.jn
WHEN NOT MATCHED THEN INSERT ("TABLE_NAME", "JOURNAL", "MERGED_LSN", "MERGED_SEQ", "UPDATED_AT")
  VALUES (prm.tbl, prm.jn, 0, 0, SYSDATE());

INSERT INTO "app"."counters" ("id", "n", "at", "_SNOWFLAKE_INSERTED_AT", "_SNOWFLAKE_UPDATED_AT", "_SNOWFLAKE_DELETED")
SELECT j."id", j."n", j."at", SYSDATE(), SYSDATE(), FALSE
FROM "app"."counters_JOURNAL_1718000000_1" j, (SELECT CAST(? AS NUMBER(20,0)) AS hi_lsn, CAST(? AS NUMBER(20,0)) AS hi_seq, CAST(? AS VARCHAR) AS tbl, CAST(? AS VARCHAR) AS jn) AS prm
WHERE (j."_PGCDC_LSN" < prm.hi_lsn OR (j."_PGCDC_LSN" = prm.hi_lsn AND j."_PGCDC_SEQ" <= prm.hi_seq)) AND j."_PGCDC_OP" <> 'D'
  AND NOT EXISTS (SELECT 1 FROM "app"."_PGCDC_MERGE_STATE" m WHERE m."TABLE_NAME" = prm.tbl AND (j."_PGCDC_LSN" < m."MERGED_LSN" OR (j."_PGCDC_LSN" = m."MERGED_LSN" AND j."_PGCDC_SEQ" <= m."MERGED_SEQ")));

UPDATE "app"."_PGCDC_MERGE_STATE" AS m SET "MERGED_LSN" = prm.hi_lsn, "MERGED_SEQ" = prm.hi_seq, "JOURNAL" = prm.jn, "UPDATED_AT" = SYSDATE()
FROM (SELECT CAST(? AS NUMBER(20,0)) AS hi_lsn, CAST(? AS NUMBER(20,0)) AS hi_seq, CAST(? AS VARCHAR) AS tbl, CAST(? AS VARCHAR) AS jn) AS prm
WHERE m."TABLE_NAME" = prm.tbl AND (m."MERGED_LSN" < prm.hi_lsn OR (m."MERGED_LSN" = prm.hi_lsn AND m."MERGED_SEQ" < prm.hi_seq));

DELETE FROM "app"."_PGCDC_MERGE_STATE" AS m
USING (SELECT CAST(? AS NUMBER(20,0)) AS hi_lsn, CAST(? AS NUMBER(20,0)) AS hi_seq, CAST(? AS VARCHAR) AS tbl, CAST(? AS VARCHAR) AS jn) AS prm
WHERE m."TABLE_NAME" = prm.tbl;
