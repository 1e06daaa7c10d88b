-- counters, postgresql dialect (PostgreSQL 15+: MERGE), CASE_SENSITIVE
-- statements: schema, state, table, journal (PostgreSQL: + index), merge (3), initial load (3), reset state
-- journal COPY columns: "id", "n", "at", "_PGCDC_LSN", "_PGCDC_SEQ", "_PGCDC_OP", "_PGCDC_COMMIT_TIME", "_PGCDC_UNCHANGED"
-- merge parameters: $1/? bound LSN, $2/? bound SEQ, $3/? 'counters', $4/? 'counters_JOURNAL_1718000000_1'
CREATE SCHEMA IF NOT EXISTS "app";

CREATE TABLE IF NOT EXISTS "app"."_PGCDC_MERGE_STATE" (
  "table_name" text PRIMARY KEY,
  "journal" text,
  "merged_lsn" bigint NOT NULL,
  "merged_seq" bigint NOT NULL,
  "updated_at" timestamp without time zone
);

CREATE TABLE "app"."counters" (
  "id" bigint NOT NULL,
  "n" integer,
  "at" timestamp with time zone,
  "_SNOWFLAKE_INSERTED_AT" timestamp without time zone,
  "_SNOWFLAKE_UPDATED_AT" timestamp without time zone,
  "_SNOWFLAKE_DELETED" boolean,
  PRIMARY KEY ("id")
);

CREATE TABLE IF NOT EXISTS "app"."counters_JOURNAL_1718000000_1" (
  "id" bigint,
  "n" integer,
  "at" timestamp with time zone,
  "_PGCDC_LSN" bigint NOT NULL,
  "_PGCDC_SEQ" bigint NOT NULL,
  "_PGCDC_OP" character(1) NOT NULL,
  "_PGCDC_COMMIT_TIME" timestamp with time zone,
  "_PGCDC_UNCHANGED" text[]
);

CREATE INDEX IF NOT EXISTS "counters_JOURNAL_1718000000_1_POS" ON "app"."counters_JOURNAL_1718000000_1" ("_PGCDC_LSN", "_PGCDC_SEQ");

INSERT INTO "app"."_PGCDC_MERGE_STATE" AS m ("table_name", "journal", "merged_lsn", "merged_seq", "updated_at")
SELECT prm.tbl, prm.jn, 0, 0, (now() AT TIME ZONE 'UTC') FROM (SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn) AS prm
ON CONFLICT ("table_name") DO UPDATE SET "journal" = EXCLUDED."journal";

MERGE INTO "app"."counters" AS t
USING (
WITH prm AS (
  SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn
), st AS (
  SELECT coalesce(max(m."merged_lsn"), 0) AS lsn, coalesce(max(m."merged_seq"), 0) AS seq
  FROM "app"."_PGCDC_MERGE_STATE" m, prm
  WHERE m."table_name" = prm.tbl
), win AS (
  SELECT DISTINCT ON (j."_PGCDC_LSN", j."_PGCDC_SEQ") j."id", j."n", j."at", j."_PGCDC_LSN", j."_PGCDC_SEQ", j."_PGCDC_OP"
  FROM "app"."counters_JOURNAL_1718000000_1" j, prm, st
  WHERE (j."_PGCDC_LSN", j."_PGCDC_SEQ") > (st.lsn, st.seq)
    AND (j."_PGCDC_LSN", j."_PGCDC_SEQ") <= (prm.hi_lsn, prm.hi_seq)
  ORDER BY j."_PGCDC_LSN", j."_PGCDC_SEQ"
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
  UPDATE SET "_SNOWFLAKE_DELETED" = TRUE, "_SNOWFLAKE_UPDATED_AT" = (now() AT TIME ZONE 'UTC')
WHEN MATCHED THEN
  UPDATE SET "n" = s."n", "at" = s."at", "_SNOWFLAKE_DELETED" = FALSE, "_SNOWFLAKE_UPDATED_AT" = (now() AT TIME ZONE 'UTC')
WHEN NOT MATCHED AND s."_PGCDC_OP" <> 'D' THEN
  INSERT ("id", "n", "at", "_SNOWFLAKE_INSERTED_AT", "_SNOWFLAKE_UPDATED_AT", "_SNOWFLAKE_DELETED")
  VALUES (s."id", s."n", s."at", (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC'), FALSE);

UPDATE "app"."_PGCDC_MERGE_STATE" AS m SET "merged_lsn" = prm.hi_lsn, "merged_seq" = prm.hi_seq, "journal" = prm.jn, "updated_at" = (now() AT TIME ZONE 'UTC')
FROM (SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn) AS prm
WHERE m."table_name" = prm.tbl AND (m."merged_lsn", m."merged_seq") < (prm.hi_lsn, prm.hi_seq);

INSERT INTO "app"."_PGCDC_MERGE_STATE" AS m ("table_name", "journal", "merged_lsn", "merged_seq", "updated_at")
SELECT prm.tbl, prm.jn, 0, 0, (now() AT TIME ZONE 'UTC') FROM (SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn) AS prm
ON CONFLICT ("table_name") DO UPDATE SET "journal" = EXCLUDED."journal";

INSERT INTO "app"."counters" ("id", "n", "at", "_SNOWFLAKE_INSERTED_AT", "_SNOWFLAKE_UPDATED_AT", "_SNOWFLAKE_DELETED")
SELECT j."id", j."n", j."at", (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC'), FALSE
FROM "app"."counters_JOURNAL_1718000000_1" j, (SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn) AS prm
WHERE (j."_PGCDC_LSN", j."_PGCDC_SEQ") <= (prm.hi_lsn, prm.hi_seq) AND j."_PGCDC_OP" <> 'D'
  AND NOT EXISTS (SELECT 1 FROM "app"."_PGCDC_MERGE_STATE" m WHERE m."table_name" = prm.tbl AND (j."_PGCDC_LSN", j."_PGCDC_SEQ") <= (m."merged_lsn", m."merged_seq"));

UPDATE "app"."_PGCDC_MERGE_STATE" AS m SET "merged_lsn" = prm.hi_lsn, "merged_seq" = prm.hi_seq, "journal" = prm.jn, "updated_at" = (now() AT TIME ZONE 'UTC')
FROM (SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn) AS prm
WHERE m."table_name" = prm.tbl AND (m."merged_lsn", m."merged_seq") < (prm.hi_lsn, prm.hi_seq);

DELETE FROM "app"."_PGCDC_MERGE_STATE" AS m
USING (SELECT CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn) AS prm
WHERE m."table_name" = prm.tbl;
