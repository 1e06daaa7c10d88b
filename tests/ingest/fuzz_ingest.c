/* fuzz_ingest.c - libFuzzer target for the parsers of the ingestion
 * parameters: the first byte picks JSON, Column Filter JSON, cron or the
 * table selection; the rest is the input. Parsed results are also used
 * (cron next times, filter application) so that a malformed-but-accepted
 * input cannot hide a crash behind the parser. Build: see tests/fuzz. */
#include "pgcdc/cron.h"
#include "pgcdc/json.h"
#include "pgcdc/tables.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned which = data[0] % 4;
    data++, size--;
    char *text = malloc(size + 1); /* the string APIs take NUL-terminated text */
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    pgcdc_error err;
    switch (which) {
    case 0: {
        pgcdc_json_doc *doc;
        if (pgcdc_json_parse((const char *)data, size, &doc, &err) == PGCDC_OK)
            pgcdc_json_free(doc);
        break;
    }
    case 1: {
        pgcdc_column_filter *f;
        if (pgcdc_column_filter_parse(text, &f, &err) == PGCDC_OK) {
            const char *cols[] = {"id", "name", "ssn", "secret_x"};
            bool key[] = {true, false, false, false}, keep[4];
            pgcdc_column_filter_apply(f, "app", "users", cols, key, 4, keep);
            pgcdc_column_filter_free(f);
        }
        break;
    }
    case 2: {
        pgcdc_cron *c;
        if (pgcdc_cron_parse(text, &c, &err) == PGCDC_OK) {
            int64_t t = 1700000000, next;
            for (int i = 0; i < 3 && pgcdc_cron_next(c, t, &next) == PGCDC_OK; i++)
                t = next;
            pgcdc_cron_free(c);
        }
        break;
    }
    default: {
        char *nl = strchr(text, '\n'); /* names \n regex */
        if (nl)
            *nl = '\0';
        pgcdc_table_selection *sel;
        if (pgcdc_table_selection_parse(text, nl ? nl + 1 : NULL, &sel, &err) == PGCDC_OK) {
            pgcdc_table_selection_matches(sel, "app", "orders");
            pgcdc_table_selection_free(sel);
        }
        break;
    }
    }
    free(text);
    return 0;
}
