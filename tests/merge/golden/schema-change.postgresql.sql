-- schema change of items, postgresql dialect, CASE_SENSITIVE
-- new journal generation: yes
ALTER TABLE "app"."items" RENAME COLUMN "qty" TO "qty__SNOWFLAKE_DELETED";

ALTER TABLE "app"."items" RENAME COLUMN "price" TO "price__SNOWFLAKE_DELETED";

ALTER TABLE "app"."items" ALTER COLUMN "name" TYPE character varying(20);

ALTER TABLE "app"."items" ADD COLUMN "cost" numeric(10,2);

ALTER TABLE "app"."items" ALTER COLUMN "small" TYPE bigint;

ALTER TABLE "app"."items" ADD COLUMN "note" text;

-- generation 2
CREATE TABLE IF NOT EXISTS "app"."items_JOURNAL_1718000000_2" (
  "id" integer,
  "name" character varying(20),
  "cost" numeric(10,2),
  "small" bigint,
  "note" text,
  "_PGCDC_LSN" bigint NOT NULL,
  "_PGCDC_SEQ" bigint NOT NULL,
  "_PGCDC_OP" character(1) NOT NULL,
  "_PGCDC_COMMIT_TIME" timestamp with time zone,
  "_PGCDC_UNCHANGED" text[]
);

CREATE INDEX IF NOT EXISTS "items_JOURNAL_1718000000_2_POS" ON "app"."items_JOURNAL_1718000000_2" ("_PGCDC_LSN", "_PGCDC_SEQ");
