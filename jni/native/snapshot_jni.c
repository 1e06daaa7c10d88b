/* snapshot_jni.c - io.pgcdc.jni.SnapshotSession and SnapshotFetcher. */
#include <stdlib.h>

#include "io_pgcdc_jni_SnapshotSession.h"
#include "io_pgcdc_jni_SnapshotFetcher.h"
#include "pj.h"

#define S(env, h) ((pgcdc_snapshot_session *)pj_ptr(env, h, "SnapshotSession"))

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_SnapshotSession_nBegin(JNIEnv *env, jclass cls, jlong cfg)
{
    pgcdc_connector_config *c = PJ_CONFIG(env, cfg);
    if (!c)
        return 0;
    pgcdc_error err;
    pgcdc_snapshot_session *s = NULL;
    pgcdc_code rc = pgcdc_snapshot_session_begin(c, &s, &err);
    return pj_opened(env, rc, s, &err);
}

JNIEXPORT jstring JNICALL Java_io_pgcdc_jni_SnapshotSession_nSnapshotName(JNIEnv *env, jclass cls, jlong h)
{
    pgcdc_snapshot_session *s = S(env, h);
    return s ? pj_string(env, pgcdc_snapshot_session_name(s)) : NULL;
}

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_SnapshotSession_nSnapshotLsn(JNIEnv *env, jclass cls, jlong h)
{
    pgcdc_snapshot_session *s = S(env, h);
    return s ? (jlong)pgcdc_snapshot_session_lsn(s) : 0;
}

JNIEXPORT jobjectArray JNICALL Java_io_pgcdc_jni_SnapshotSession_nPlanChunks(JNIEnv *env, jclass cls, jlong h,
                                                                            jstring table, jint min_chunks)
{
    pgcdc_snapshot_session *s = S(env, h);
    if (!s)
        return NULL;
    int failed;
    char *t = pj_utf8(env, table, &failed);
    if (failed)
        return NULL;
    pgcdc_buf *chunks = NULL;
    size_t n = 0;
    pgcdc_error err;
    pgcdc_code rc = pgcdc_snapshot_session_plan(s, t, min_chunks, &chunks, &n, &err);
    free(t);
    if (!pj_ok(env, rc, &err))
        return NULL;
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
    pgcdc_snapshot_session_close(PJ_PTR(pgcdc_snapshot_session, h));
}

JNIEXPORT jobject JNICALL Java_io_pgcdc_jni_SnapshotFetcher_nFetchChunk(JNIEnv *env, jclass cls, jlong cfg,
                                                                       jbyteArray desc)
{
    pgcdc_connector_config *c = PJ_CONFIG(env, cfg);
    if (!c)
        return NULL;
    size_t n;
    uint8_t *data = pj_bytes(env, desc, &n, "a chunk descriptor");
    if (!data)
        return NULL;
    pgcdc_buf out = PGCDC_BUF_INIT;
    pgcdc_batch_info info;
    pgcdc_error err;
    pgcdc_code rc = pgcdc_snapshot_fetch_chunk(c, data, n, &out, &info, &err);
    free(data);
    jobject b = NULL;
    if (rc == PGCDC_OK)
        b = pj_batch(env, &out, &info);
    else
        pj_throw(env, &err);
    pgcdc_buf_free(&out);
    return b;
}

/* Each piece becomes a ChangeBatch handed to the Java sink on this thread
 * (the fetch reads on the calling thread). An exception thrown there stays
 * pending and stops the fetch. */
typedef struct piece_sink {
    JNIEnv *env;
    jobject sink;
    jmethodID accept;
    int pieces;
} piece_sink;

static pgcdc_code to_java(void *ud, const uint8_t *data, size_t len, const pgcdc_batch_info *info, pgcdc_error *err)
{
    piece_sink *p = ud;
    JNIEnv *env = p->env;
    pgcdc_buf b = {.data = (char *)data, .len = len};
    jobject batch = pj_batch(env, &b, info);
    if (batch && !(*env)->ExceptionCheck(env))
        (*env)->CallVoidMethod(env, p->sink, p->accept, batch);
    (*env)->DeleteLocalRef(env, batch);
    if ((*env)->ExceptionCheck(env))
        return pgcdc_error_set(err, PGCDC_EIO, "the chunk piece sink failed");
    p->pieces++;
    return PGCDC_OK;
}

JNIEXPORT jint JNICALL Java_io_pgcdc_jni_SnapshotFetcher_nFetchChunkPieces(JNIEnv *env, jclass cls, jlong cfg,
                                                                          jbyteArray desc, jlong max_bytes,
                                                                          jobject sink)
{
    pgcdc_connector_config *c = PJ_CONFIG(env, cfg);
    if (!c)
        return 0;
    jclass consumer = (*env)->FindClass(env, "java/util/function/Consumer");
    piece_sink p = {.env = env, .sink = sink,
                    .accept = consumer ? (*env)->GetMethodID(env, consumer, "accept", "(Ljava/lang/Object;)V") : NULL};
    (*env)->DeleteLocalRef(env, consumer);
    if (!p.accept)
        return 0;
    size_t n;
    uint8_t *data = pj_bytes(env, desc, &n, "a chunk descriptor");
    if (!data)
        return 0;
    pgcdc_error err;
    pgcdc_code rc = pgcdc_snapshot_fetch_chunk_pieces(c, data, n, max_bytes > 0 ? (size_t)max_bytes : 1, to_java, &p,
                                                      NULL, &err);
    free(data);
    if (rc != PGCDC_OK && !(*env)->ExceptionCheck(env))
        pj_throw(env, &err);
    return p.pieces;
}
