/* cron_jni.c - io.pgcdc.jni.CronSchedule: the native Quartz parser and
 * next-fire computation (pgcdc/cron.h), so NiFi and the CLI accept exactly
 * the same Merge Task Schedule CRON expressions. */
#include <stdlib.h>

#include "io_pgcdc_jni_CronSchedule.h"
#include "pgcdc/cron.h"
#include "pj.h"

/* The expression parsed, or NULL with PgcdcException (EINVAL, the parser's
 * message naming the field) pending. */
static pgcdc_cron *parse(JNIEnv *env, jstring expr)
{
    int failed = 0;
    char *e = pj_utf8(env, expr, &failed);
    if (failed)
        return NULL;
    pgcdc_cron *c = NULL;
    pgcdc_error err;
    pgcdc_code rc = e ? pgcdc_cron_parse(e, &c, &err)
                      : pgcdc_error_set(&err, PGCDC_EINVAL, "no expression (null)");
    free(e);
    return pj_ok(env, rc, &err) ? c : NULL;
}

JNIEXPORT jboolean JNICALL Java_io_pgcdc_jni_CronSchedule_nParse(JNIEnv *env, jclass cls, jstring expr)
{
    pgcdc_cron *c = parse(env, expr);
    jboolean continuous = c && pgcdc_cron_is_continuous(c);
    pgcdc_cron_free(c);
    return continuous;
}

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_CronSchedule_nNext(JNIEnv *env, jclass cls, jstring expr, jlong after)
{
    pgcdc_cron *c = parse(env, expr);
    if (!c)
        return -1;
    int64_t next = -1;
    if (pgcdc_cron_next(c, (int64_t)after, &next) != PGCDC_OK)
        next = -1; /* never fires again */
    pgcdc_cron_free(c);
    return (jlong)next;
}
