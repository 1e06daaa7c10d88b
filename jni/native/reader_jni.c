/* reader_jni.c - io.pgcdc.jni.ChangeReader. */
#include <stdlib.h>

#include "io_pgcdc_jni_ChangeReader.h"
#include "pj.h"

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_ChangeReader_nOpen(JNIEnv *env, jclass cls, jlong cfg, jstring slot,
                                                            jlong start)
{
    if (pj_closed(env, cfg, "ConnectorConfig"))
        return 0;
    int failed;
    char *s = pj_utf8(env, slot, &failed);
    if (failed)
        return 0;
    pgcdc_error err;
    pgcdc_change_reader *r = NULL;
    pgcdc_code rc = pgcdc_change_reader_open(PJ_PTR(pgcdc_connector_config, cfg), s, (pgcdc_lsn)start, &r, &err);
    free(s);
    if (rc != PGCDC_OK) {
        pj_throw(env, &err);
        return 0;
    }
    return PJ_HANDLE(r);
}

JNIEXPORT jobject JNICALL Java_io_pgcdc_jni_ChangeReader_nPoll(JNIEnv *env, jclass cls, jlong h, jint timeout_ms,
                                                              jint max_bytes)
{
    if (pj_closed(env, h, "ChangeReader"))
        return NULL;
    pgcdc_buf out = PGCDC_BUF_INIT;
    pgcdc_batch_info info;
    pgcdc_error err;
    pgcdc_code rc = pgcdc_change_reader_poll(PJ_PTR(pgcdc_change_reader, h), timeout_ms,
                                             max_bytes > 0 ? (size_t)max_bytes : 1, &out, &info, &err);
    jobject b = NULL;
    if (rc == PGCDC_OK)
        b = pj_batch(env, &out, &info);
    else if (rc != PGCDC_ETIMEOUT)
        pj_throw(env, &err);
    pgcdc_buf_free(&out);
    return b;
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_ChangeReader_nConfirm(JNIEnv *env, jclass cls, jlong h, jlong lsn)
{
    if (!pj_closed(env, h, "ChangeReader"))
        pgcdc_change_reader_confirm(PJ_PTR(pgcdc_change_reader, h), (pgcdc_lsn)lsn);
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_ChangeReader_nSetIdleInterval(JNIEnv *env, jclass cls, jlong h, jint ms)
{
    if (!pj_closed(env, h, "ChangeReader"))
        pgcdc_change_reader_set_idle_interval(PJ_PTR(pgcdc_change_reader, h), (int)ms);
}

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_ChangeReader_nConfirmedLsn(JNIEnv *env, jclass cls, jlong h)
{
    if (pj_closed(env, h, "ChangeReader"))
        return 0;
    return (jlong)pgcdc_change_reader_confirmed(PJ_PTR(pgcdc_change_reader, h));
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_ChangeReader_nClose(JNIEnv *env, jclass cls, jlong h)
{
    pgcdc_change_reader_close(PJ_PTR(pgcdc_change_reader, h));
}
