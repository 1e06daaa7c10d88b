/* reader_jni.c - io.pgcdc.jni.ChangeReader. */
#include <stdlib.h>

#include "io_pgcdc_jni_ChangeReader.h"
#include "pj.h"

#define R(env, h) ((pgcdc_change_reader *)pj_ptr(env, h, "ChangeReader"))

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_ChangeReader_nOpen(JNIEnv *env, jclass cls, jlong cfg, jstring slot,
                                                            jlong start)
{
    pgcdc_connector_config *c = PJ_CONFIG(env, cfg);
    if (!c)
        return 0;
    int failed;
    char *s = pj_utf8(env, slot, &failed);
    if (failed)
        return 0;
    pgcdc_error err;
    pgcdc_change_reader *r = NULL;
    pgcdc_code rc = pgcdc_change_reader_open(c, s, (pgcdc_lsn)start, &r, &err);
    free(s);
    return pj_opened(env, rc, r, &err);
}

JNIEXPORT jobject JNICALL Java_io_pgcdc_jni_ChangeReader_nPoll(JNIEnv *env, jclass cls, jlong h, jint timeout_ms,
                                                              jint max_bytes)
{
    pgcdc_change_reader *r = R(env, h);
    if (!r)
        return NULL;
    pgcdc_buf out = PGCDC_BUF_INIT;
    pgcdc_batch_info info;
    pgcdc_error err;
    pgcdc_code rc = pgcdc_change_reader_poll(r, timeout_ms, max_bytes > 0 ? (size_t)max_bytes : 1, &out, &info, &err);
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
    pgcdc_change_reader *r = R(env, h);
    if (r)
        pgcdc_change_reader_confirm(r, (pgcdc_lsn)lsn);
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_ChangeReader_nSetIdleInterval(JNIEnv *env, jclass cls, jlong h, jint ms)
{
    pgcdc_change_reader *r = R(env, h);
    if (r)
        pgcdc_change_reader_set_idle_interval(r, (int)ms);
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_ChangeReader_nSetFragmentBytes(JNIEnv *env, jclass cls, jlong h,
                                                                         jlong bytes)
{
    pgcdc_change_reader *r = R(env, h);
    if (r)
        pgcdc_change_reader_set_fragment_bytes(r, bytes > 0 ? (size_t)bytes : 0);
}

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_ChangeReader_nConfirmedLsn(JNIEnv *env, jclass cls, jlong h)
{
    pgcdc_change_reader *r = R(env, h);
    return r ? (jlong)pgcdc_change_reader_confirmed(r) : 0;
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_ChangeReader_nClose(JNIEnv *env, jclass cls, jlong h)
{
    pgcdc_change_reader_close(PJ_PTR(pgcdc_change_reader, h));
}
