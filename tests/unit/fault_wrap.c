/*
 * fault_wrap.c - the allocation site of failure injection (lib/util/fault.h):
 * unit-test executables of a fault-injection build are linked with
 * --wrap=malloc,--wrap=calloc,--wrap=realloc, so sertel's own allocations
 * (in its static libraries and the tests) come here and can be made to fail.
 */
#include <stddef.h>

#include "util/fault.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n)
{
    return fault_hit(FAULT_ALLOC) ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
    return fault_hit(FAULT_ALLOC) ? NULL : __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fault_hit(FAULT_ALLOC) ? NULL : __real_realloc(p, n);
}
