-- schema change of a_table_name_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxxx, snowflake dialect, CASE_SENSITIVE
-- new journal generation: yes
ALTER TABLE "app"."a_table_name_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxxx" RENAME COLUMN "a_column_name_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxx" TO "a_column_name_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxx__SNOWFLAKE_DELETED";

-- generation 2
CREATE TABLE IF NOT EXISTS "app"."a_table_name_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxxx_JOURNAL_1718000000_2" (
  "id" NUMBER(38,0),
  "_PGCDC_LSN" NUMBER(20,0) NOT NULL,
  "_PGCDC_SEQ" NUMBER(20,0) NOT NULL,
  "_PGCDC_OP" VARCHAR(1) NOT NULL,
  "_PGCDC_COMMIT_TIME" TIMESTAMP_TZ,
  "_PGCDC_UNCHANGED" ARRAY
);
