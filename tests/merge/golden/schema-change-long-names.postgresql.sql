-- schema change of a_table_name_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxxx, postgresql dialect, CASE_SENSITIVE
-- new journal generation: yes
ALTER TABLE "app"."a_table_name_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxxx" RENAME COLUMN "a_column_name_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxx" TO "a_column_name_that_is_exactly_sixty_f901b476__SNOWFLAKE_DELETED";

-- generation 2
CREATE TABLE IF NOT EXISTS "app"."a_table_name_that_is_exactly_sixt_e7308c1b_JOURNAL_1718000000_2" (
  "id" integer,
  "_PGCDC_LSN" bigint NOT NULL,
  "_PGCDC_SEQ" bigint NOT NULL,
  "_PGCDC_OP" character(1) NOT NULL,
  "_PGCDC_COMMIT_TIME" timestamp with time zone,
  "_PGCDC_UNCHANGED" text[]
);

CREATE INDEX IF NOT EXISTS "a_table_name_that_is_exactly_sixt_e7308c1b_JOURNAL_50a98f0e_POS" ON "app"."a_table_name_that_is_exactly_sixt_e7308c1b_JOURNAL_1718000000_2" ("_PGCDC_LSN", "_PGCDC_SEQ");
