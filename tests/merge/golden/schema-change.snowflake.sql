-- schema change of items, snowflake dialect, CASE_SENSITIVE
-- new journal generation: yes
ALTER TABLE "app"."items" RENAME COLUMN "qty" TO "qty__SNOWFLAKE_DELETED";

ALTER TABLE "app"."items" RENAME COLUMN "price" TO "price__SNOWFLAKE_DELETED";

ALTER TABLE "app"."items" ADD COLUMN "cost" NUMBER(10,2);

ALTER TABLE "app"."items" ADD COLUMN "note" TEXT;

-- generation 2
CREATE TABLE IF NOT EXISTS "app"."items_JOURNAL_1718000000_2" (
  "id" NUMBER(38,0),
  "name" TEXT,
  "cost" NUMBER(10,2),
  "small" NUMBER(38,0),
  "note" TEXT,
  "_PGCDC_LSN" NUMBER(20,0) NOT NULL,
  "_PGCDC_SEQ" NUMBER(20,0) NOT NULL,
  "_PGCDC_OP" VARCHAR(1) NOT NULL,
  "_PGCDC_COMMIT_TIME" TIMESTAMP_TZ,
  "_PGCDC_UNCHANGED" ARRAY
);
