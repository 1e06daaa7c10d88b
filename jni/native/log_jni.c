/* log_jni.c - libpgcdc's log lines to Java (io.pgcdc.jni.NativeLog, which
 * hands them to the component logging them, or to java.util.logging).
 *
 * The handler is installed once, when the library is loaded (JNI_OnLoad),
 * before any other native call can log. It may be called on any thread:
 * the caller's thread (attached already) or one of the snapshot reader's
 * worker threads, which are attached for the call and detached after it.
 * A line logged while an exception is pending in the calling thread (after
 * pj_throw) is delivered with that exception set aside and restored.
 *
 * NativeLog.bind(sink) makes a global reference to the sink the thread's
 * log context (pgcdc_log_thread_context); worker threads the library starts
 * inherit it, and each line is delivered with it: a worker's lines reach the
 * sink of the call that started it, not java.util.logging. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jni.h>

#include "io_pgcdc_jni_NativeLog.h"
#include "pgcdc/log.h"

static JavaVM *vm;
static jclass log_class;     /* global reference: io.pgcdc.jni.NativeLog */
static jmethodID deliver;    /* static void deliver(int level, byte[] utf8, Sink sink) */

static void to_java(void *ud, pgcdc_log_level level, const char *message)
{
    (void)ud;
    JNIEnv *env = NULL;
    bool attached = false;
    jint st = (*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8);
    if (st == JNI_EDETACHED) {
        JavaVMAttachArgs args = {JNI_VERSION_1_8, "pgcdc-native", NULL};
        if ((*vm)->AttachCurrentThreadAsDaemon(vm, (void **)&env, &args) != JNI_OK)
            return;
        attached = true;
    } else if (st != JNI_OK) {
        return;
    }
    jthrowable pending = (*env)->ExceptionOccurred(env);
    if (pending)
        (*env)->ExceptionClear(env);
    size_t n = strlen(message);
    jbyteArray bytes = (*env)->NewByteArray(env, (jsize)n);
    if (bytes) {
        (*env)->SetByteArrayRegion(env, bytes, 0, (jsize)n, (const jbyte *)message);
        (*env)->CallStaticVoidMethod(env, log_class, deliver, (jint)level, bytes,
                                     (jobject)pgcdc_log_thread_context());
        (*env)->DeleteLocalRef(env, bytes);
    }
    if ((*env)->ExceptionCheck(env))
        (*env)->ExceptionClear(env); /* a failing logger must not fail the call that logged */
    if (pending) {
        (*env)->Throw(env, pending);
        (*env)->DeleteLocalRef(env, pending);
    }
    if (attached)
        (*vm)->DetachCurrentThread(vm);
}

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *jvm, void *reserved)
{
    (void)reserved;
    JNIEnv *env = NULL;
    if ((*jvm)->GetEnv(jvm, (void **)&env, JNI_VERSION_1_8) != JNI_OK)
        return JNI_ERR;
    vm = jvm;
    /* found through the class loader of the class that loads the library */
    jclass c = (*env)->FindClass(env, "io/pgcdc/jni/NativeLog");
    if (!c)
        return JNI_ERR;
    log_class = (*env)->NewGlobalRef(env, c);
    (*env)->DeleteLocalRef(env, c);
    deliver = log_class ? (*env)->GetStaticMethodID(env, log_class, "deliver", "(I[BLio/pgcdc/jni/NativeLog$Sink;)V") : NULL;
    if (!deliver)
        return JNI_ERR;
    pgcdc_log_set_handler(to_java, NULL, PGCDC_LOG_INFO);
    return JNI_VERSION_1_8;
}

/* NativeLog.nPush: the thread's log context becomes a global reference to
 * sink (none for null); returns the previous context for nPop. */
JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_NativeLog_nPush(JNIEnv *env, jclass cls, jobject sink)
{
    (void)cls;
    void *before = pgcdc_log_thread_context();
    pgcdc_log_set_thread_context(sink ? (*env)->NewGlobalRef(env, sink) : NULL);
    return (jlong)(intptr_t)before;
}

/* NativeLog.nPop: restores the context nPush returned, freeing the pushed one. */
JNIEXPORT void JNICALL Java_io_pgcdc_jni_NativeLog_nPop(JNIEnv *env, jclass cls, jlong before)
{
    (void)cls;
    jobject pushed = pgcdc_log_thread_context();
    pgcdc_log_set_thread_context((void *)(intptr_t)before);
    if (pushed)
        (*env)->DeleteGlobalRef(env, pushed);
}
