/*
 * pool.c - back-pressure for the API's expensive work (issue 12, item 6):
 * bounded worker pools with bounded FIFO queues, and per-client rate
 * limits.
 *
 * Signing (and validation) does not run on the HTTP server's event-loop
 * threads. The dispatcher admits a request to its pool or refuses it at
 * once: a pool runs at most `slots` requests at a time on its own threads
 * and keeps at most `queue` more waiting in arrival order. Signing: the
 * passphrase checks are what needs memory (one Argon2id derivation each),
 * so at most K = min(cores, [api] sign_memory_mib / the KDF's memory) run
 * at once (a semaphore around the authorization, ep_sign.c), and the pool
 * has 2K workers, so that one request's signing, register commit and
 * answer overlap another's derivation instead of leaving a core idle; a request that finds the
 * queue full is answered 429 "overloaded" with Retry-After (the pool's estimate of when a place
 * frees: a moving average of how long a request holds a slot). An admitted request is deferred
 * (http_defer: its connection is suspended, its spooled upload kept) and answered by the worker
 * that runs it (http_deferred_finish). So:
 *   - memory is bounded by K derivations and 2K requests being signed
 *     (the queue's requests are spool files on disk plus a small context);
 *   - an admitted request waits at most (queue / slots + 1) x the work's
 *     duration; nothing grows with load;
 *   - no event-loop thread ever waits for a signing, so OCSP, TSA and CRL
 *     answers (and every other connection on the same thread) go on;
 *   - uploads are read by the event loop into spool files as they arrive
 *     and the handler is called only with the body complete, so a slow or
 *     stalled upload holds no thread and no slot.
 *
 * Per-client rate limits: a token bucket per API client id ([api]
 * client_rate_per_minute, a burst of as many), in a fixed table of
 * API_RATE_SLOTS entries (open addressing; the least recently used of a
 * probe window is reused): bounded memory whatever the number of clients.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"

#define EWMA_SHIFT 3 /* the average moves by 1/8 of each new duration */

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *worker(void *arg)
{
    api_pool *p = arg;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        api_job *j;
        int64_t t0, d;
        while (p->head == NULL && !p->stop)
            pthread_cond_wait(&p->cond, &p->lock);
        if (p->head == NULL)
            break; /* stopping, nothing left */
        j = p->head;
        p->head = j->next;
        if (p->head == NULL)
            p->tail = NULL;
        p->waiting--;
        p->running++;
        pthread_mutex_unlock(&p->lock);
        t0 = now_ms();
        api_job_run(j);
        d = now_ms() - t0;
        pthread_mutex_lock(&p->lock);
        p->running--;
        p->avg_ms += (d - p->avg_ms) / (1 << EWMA_SHIFT);
        if (p->avg_ms < 1)
            p->avg_ms = 1;
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int api_pool_start(api_pool *p, unsigned slots, unsigned queue, int64_t guess_ms, sertel_err *err)
{
    unsigned i;

    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->slots = slots > 0 ? slots : 1;
    p->queue = queue;
    p->avg_ms = guess_ms > 0 ? guess_ms : 1000;
    p->threads = calloc(p->slots, sizeof(*p->threads));
    if (p->threads == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    for (i = 0; i < p->slots; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
            api_pool_stop(p);
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "cannot start the API's worker threads");
        }
        p->nthreads++;
    }
    return SERTEL_OK;
}

void api_pool_stop(api_pool *p)
{
    unsigned i;

    if (p->threads == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    for (i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    p->threads = NULL;
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
}

int api_pool_reserve(api_pool *p, int64_t *retry_after)
{
    int rc = SERTEL_OK;

    *retry_after = 0;
    pthread_mutex_lock(&p->lock);
    /* In the pool: those running and those waiting; at most slots + queue. */
    if (p->waiting + p->running >= p->slots + p->queue) {
        p->refused++;
        /* when a place is likely to free for someone arriving now (at least a second) */
        *retry_after = p->avg_ms * (int64_t)(p->waiting / p->slots + 1) / 1000 + 1;
        rc = SERTEL_ERR_BUSY;
    } else {
        p->waiting++;
        if (p->waiting > p->max_waiting)
            p->max_waiting = p->waiting;
        p->admitted++;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void api_pool_unreserve(api_pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->waiting--;
    pthread_mutex_unlock(&p->lock);
}

void api_pool_push(api_pool *p, api_job *j)
{
    j->next = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->tail != NULL)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

/* ------------------------------------------------------------ rate limits */

static uint64_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

int api_rate_take(api *a, const char *client_id, int64_t *retry_after)
{
    uint64_t h = hash_id(client_id);
    int64_t now = now_ms(), per_ms, full;
    api_rate_slot *e = NULL, *lru = NULL;
    size_t i;
    int rc = SERTEL_OK;

    *retry_after = 0;
    if (a->rate_per_min == 0)
        return SERTEL_OK;
    per_ms = 60000 / a->rate_per_min; /* one token every per_ms */
    if (per_ms < 1)
        per_ms = 1;
    full = (int64_t)a->rate_per_min * per_ms; /* a full bucket: a minute's requests at once */
    pthread_mutex_lock(&a->rate_lock);
    for (i = 0; i < API_RATE_PROBE; i++) {
        api_rate_slot *s = &a->rate[(h + i) % API_RATE_SLOTS];
        if (s->used && strcmp(s->id, client_id) == 0) {
            e = s;
            break;
        }
        if (lru == NULL || !s->used || (lru->used && s->last_ms < lru->last_ms))
            lru = s;
    }
    if (e == NULL) {
        e = lru;
        memset(e, 0, sizeof(*e));
        e->used = 1;
        snprintf(e->id, sizeof(e->id), "%s", client_id);
        e->tokens_ms = full;
        e->last_ms = now;
    }
    /* tokens_ms: the bucket's content in milliseconds of refill; one request costs per_ms. */
    e->tokens_ms += now - e->last_ms;
    if (e->tokens_ms > full)
        e->tokens_ms = full;
    e->last_ms = now;
    if (e->tokens_ms >= per_ms) {
        e->tokens_ms -= per_ms;
    } else {
        *retry_after = (per_ms - e->tokens_ms) / 1000 + 1;
        rc = SERTEL_ERR_BUSY;
    }
    pthread_mutex_unlock(&a->rate_lock);
    return rc;
}
