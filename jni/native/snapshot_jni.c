/* snapshot_jni.c - io.pgcdc.jni.SnapshotSession and SnapshotFetcher. */
#include <stdlib.h>

#include "io_pgcdc_jni_SnapshotSession.h"
#include "io_pgcdc_jni_SnapshotFetcher.h"
#include "pj.h"

#define S(h) PJ_PTR(pgcdc_snapshot_session, h)

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_SnapshotSession_nBegin(JNIEnv *env, jclass cls, jlong cfg)
{
    if (pj_closed(env, cfg, "ConnectorConfig"))
        return 0;
    pgcdc_error err;
    pgcdc_snapshot_session *s = NULL;
    if (pgcdc_snapshot_session_begin(PJ_PTR(pgcdc_connector_config, cfg), &s, &err) != PGCDC_OK) {
        pj_throw(env, &err);
        return 0;
    }
    return PJ_HANDLE(s);
}

JNIEXPORT jstring JNICALL Java_io_pgcdc_jni_SnapshotSession_nSnapshotName(JNIEnv *env, jclass cls, jlong h)
{
    if (pj_closed(env, h, "SnapshotSession"))
        return NULL;
    return pj_string(env, pgcdc_snapshot_session_name(S(h)));
}

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_SnapshotSession_nSnapshotLsn(JNIEnv *env, jclass cls, jlong h)
{
    if (pj_closed(env, h, "SnapshotSession"))
        return 0;
    return (jlong)pgcdc_snapshot_session_lsn(S(h));
}

JNIEXPORT jobjectArray JNICALL Java_io_pgcdc_jni_SnapshotSession_nPlanChunks(JNIEnv *env, jclass cls, jlong h,
                                                                            jstring table, jint min_chunks)
{
    if (pj_closed(env, h, "SnapshotSession"))
        return NULL;
    int failed;
    char *t = pj_utf8(env, table, &failed);
    if (failed)
        return NULL;
    pgcdc_buf *chunks = NULL;
    size_t n = 0;
    pgcdc_error err;
    pgcdc_code rc = pgcdc_snapshot_session_plan(S(h), t, min_chunks, &chunks, &n, &err);
    free(t);
    if (rc != PGCDC_OK) {
        pj_throw(env, &err);
        return NULL;
    }
    jclass bcls = (*env)->FindClass(env, "[B");
    jobjectArray arr = bcls ? (*env)->NewObjectArray(env, (jsize)n, bcls, NULL) : NULL;
    for (size_t i = 0; arr && i < n; i++) {
        jbyteArray b = (*env)->NewByteArray(env, (jsize)chunks[i].len);
        if (!b) {
            arr = NULL;
            break;
        }
        (*env)->SetByteArrayRegion(env, b, 0, (jsize)chunks[i].len, (const jbyte *)chunks[i].data);
        (*env)->SetObjectArrayElement(env, arr, (jsize)i, b);
        (*env)->DeleteLocalRef(env, b);
    }
    pgcdc_snapshot_chunks_free(chunks, n);
    return arr;
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_SnapshotSession_nClose(JNIEnv *env, jclass cls, jlong h)
{
    pgcdc_snapshot_session_close(S(h));
}

JNIEXPORT jobject JNICALL Java_io_pgcdc_jni_SnapshotFetcher_nFetchChunk(JNIEnv *env, jclass cls, jlong cfg,
                                                                       jbyteArray desc)
{
    if (pj_closed(env, cfg, "ConnectorConfig"))
        return NULL;
    jsize n = (*env)->GetArrayLength(env, desc);
    uint8_t *data = malloc(n ? (size_t)n : 1);
    if (!data) {
        pj_throw_code(env, PGCDC_ENOMEM, "out of native memory for a chunk descriptor");
        return NULL;
    }
    (*env)->GetByteArrayRegion(env, desc, 0, n, (jbyte *)data);
    pgcdc_buf out = PGCDC_BUF_INIT;
    pgcdc_batch_info info;
    pgcdc_error err;
    pgcdc_code rc = pgcdc_snapshot_fetch_chunk(PJ_PTR(pgcdc_connector_config, cfg), data, (size_t)n, &out, &info,
                                               &err);
    free(data);
    jobject b = NULL;
    if (rc == PGCDC_OK)
        b = pj_batch(env, &out, &info);
    else
        pj_throw(env, &err);
    pgcdc_buf_free(&out);
    return b;
}
