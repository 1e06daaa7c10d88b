/* config_jni.c - io.pgcdc.jni.ConnectorConfig. */
#include <stdlib.h>
#include <string.h>

#include "io_pgcdc_jni_ConnectorConfig.h"
#include "pj.h"
#include "pgcdc/secret.h"

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_ConnectorConfig_nCreate(JNIEnv *env, jclass cls)
{
    pgcdc_error err;
    pgcdc_connector_config *c = NULL;
    pgcdc_code rc = pgcdc_connector_config_new(&c, &err);
    return pj_opened(env, rc, c, &err);
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_ConnectorConfig_nSet(JNIEnv *env, jclass cls, jlong h, jstring name,
                                                             jstring value)
{
    pgcdc_connector_config *c = PJ_CONFIG(env, h);
    if (!c)
        return;
    char *n, *v;
    if (pj_utf8_pair(env, name, &n, value, &v)) {
        pgcdc_error err;
        pj_ok(env, pgcdc_connector_config_set(c, n, v, &err), &err);
    }
    pgcdc_secret_free(v); /* may be a password */
    free(n);
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_ConnectorConfig_nValidate(JNIEnv *env, jclass cls, jlong h)
{
    pgcdc_connector_config *c = PJ_CONFIG(env, h);
    pgcdc_error err;
    if (c)
        pj_ok(env, pgcdc_connector_config_validate(c, &err), &err);
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_ConnectorConfig_nValidateSource(JNIEnv *env, jclass cls, jlong h)
{
    pgcdc_connector_config *c = PJ_CONFIG(env, h);
    pgcdc_error err;
    if (c)
        pj_ok(env, pgcdc_connector_config_validate_source(c, &err), &err);
}

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_ConnectorConfig_nCopy(JNIEnv *env, jclass cls, jlong h)
{
    pgcdc_connector_config *c = PJ_CONFIG(env, h);
    if (!c)
        return 0;
    pgcdc_error err;
    pgcdc_connector_config *copy = NULL;
    pgcdc_code rc = pgcdc_connector_config_copy(c, &copy, &err);
    return pj_opened(env, rc, copy, &err);
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_ConnectorConfig_nFree(JNIEnv *env, jclass cls, jlong h)
{
    pgcdc_connector_config_free(PJ_PTR(pgcdc_connector_config, h));
}
