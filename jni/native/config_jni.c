/* config_jni.c - io.pgcdc.jni.ConnectorConfig. */
#include <stdlib.h>
#include <string.h>

#include "io_pgcdc_jni_ConnectorConfig.h"
#include "pj.h"

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_ConnectorConfig_nCreate(JNIEnv *env, jclass cls)
{
    pgcdc_error err;
    pgcdc_connector_config *c;
    if (pgcdc_connector_config_new(&c, &err) != PGCDC_OK) {
        pj_throw(env, &err);
        return 0;
    }
    return PJ_HANDLE(c);
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_ConnectorConfig_nSet(JNIEnv *env, jclass cls, jlong h, jstring name,
                                                             jstring value)
{
    if (pj_closed(env, h, "ConnectorConfig"))
        return;
    int f1, f2 = 0;
    char *n = pj_utf8(env, name, &f1);
    char *v = f1 ? NULL : pj_utf8(env, value, &f2);
    if (!f1 && !f2) {
        pgcdc_error err;
        if (pgcdc_connector_config_set(PJ_PTR(pgcdc_connector_config, h), n, v, &err) != PGCDC_OK)
            pj_throw(env, &err);
    }
    if (v) /* may be a password */
        memset(v, 0, strlen(v));
    free(v);
    free(n);
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_ConnectorConfig_nValidate(JNIEnv *env, jclass cls, jlong h)
{
    if (pj_closed(env, h, "ConnectorConfig"))
        return;
    pgcdc_error err;
    if (pgcdc_connector_config_validate(PJ_PTR(pgcdc_connector_config, h), &err) != PGCDC_OK)
        pj_throw(env, &err);
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_ConnectorConfig_nValidateSource(JNIEnv *env, jclass cls, jlong h)
{
    if (pj_closed(env, h, "ConnectorConfig"))
        return;
    pgcdc_error err;
    if (pgcdc_connector_config_validate_source(PJ_PTR(pgcdc_connector_config, h), &err) != PGCDC_OK)
        pj_throw(env, &err);
}

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_ConnectorConfig_nCopy(JNIEnv *env, jclass cls, jlong h)
{
    if (pj_closed(env, h, "ConnectorConfig"))
        return 0;
    pgcdc_error err;
    pgcdc_connector_config *c;
    if (pgcdc_connector_config_copy(PJ_PTR(pgcdc_connector_config, h), &c, &err) != PGCDC_OK) {
        pj_throw(env, &err);
        return 0;
    }
    return PJ_HANDLE(c);
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_ConnectorConfig_nFree(JNIEnv *env, jclass cls, jlong h)
{
    pgcdc_connector_config_free(PJ_PTR(pgcdc_connector_config, h));
}
