/*
 * check.h - invariants of sertel's own code, stated where they hold
 * (SQLite's assert()/ALWAYS()/NEVER() habit).
 *
 *   SERTEL_ASSERT(x)  an invariant: aborts with file and line in debug and
 *                     test builds when it does not hold; compiled out with
 *                     NDEBUG. Never for properties of input.
 *   SERTEL_ALWAYS(x)  a condition believed always true that a defensive
 *                     branch still handles: in debug builds it asserts; in
 *                     release builds it evaluates to x so the branch runs.
 *   SERTEL_NEVER(x)   the same for a condition believed never true.
 *
 * Input from outside is checked with ordinary code and an error, never
 * with these.
 */
#ifndef SERTEL_UTIL_CHECK_H
#define SERTEL_UTIL_CHECK_H

#include <assert.h>

#ifdef NDEBUG
#define SERTEL_ASSERT(x) ((void)0)
#define SERTEL_ALWAYS(x) (x)
#define SERTEL_NEVER(x) (x)
#else
#define SERTEL_ASSERT(x) assert(x)
#define SERTEL_ALWAYS(x) ((x) ? 1 : (assert(0 && #x), 0))
#define SERTEL_NEVER(x) ((x) ? (assert(0 && #x), 1) : 0)
#endif

#endif
