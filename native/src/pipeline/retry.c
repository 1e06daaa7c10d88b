/* retry.c - pgcdc_pipeline_run: attempts of the run (run.c). Placeholder
 * pass-through until the backoff loop lands. */
#include "pipeline_internal.h"

pgcdc_code pgcdc_pipeline_run(const pgcdc_pipeline_config *cfg, const pgcdc_pipeline_run_options *opt,
                              pgcdc_pipeline_result *result, pgcdc_error *err)
{
    pgcdc_pipeline_run_options none = {0};
    return pl_run_once(cfg, opt ? opt : &none, result, err);
}

/* Provisional classification (the retry work refines it): lost connections
 * and timeouts are interim, everything else permanent. */
bool pl_error_is_interim(pgcdc_code c, const pgcdc_error *e)
{
    (void)e;
    return c == PGCDC_ECONNECT || c == PGCDC_ETIMEOUT || c == PGCDC_ENOMEM;
}
