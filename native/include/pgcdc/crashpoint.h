/* pgcdc/crashpoint.h - named points where a test can kill the process.
 *
 * PGCDC_CRASH_AT=<name>[:<n>] in the environment makes the n-th (default
 * first) pass through pgcdc_crashpoint(<name>) send SIGKILL to the process
 * itself: exactly a `kill -9` at a known moment, so the crash-recovery tests
 * hit every interesting point deterministically instead of by timing. Unset
 * (every production run), a crash point is one branch on a cached flag.
 *
 * Points (docs/runner.md "Crash safety"): snapshot-chunk-written,
 * mid-transaction, journal-written, merge-before-commit, confirm-sent,
 * schema-change-applied. */
#ifndef PGCDC_CRASHPOINT_H
#define PGCDC_CRASHPOINT_H

#ifdef __cplusplus
extern "C" {
#endif

void pgcdc_crashpoint(const char *name);

#ifdef __cplusplus
}
#endif
#endif
