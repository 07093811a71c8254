/*
 * gate.c - back-pressure for the API's expensive work (issue 12, item 6):
 *
 * A gate is a counting semaphore with a bounded, first-come-first-served
 * wait queue. At most `slots` calls run behind it at once (signing: each
 * holds one Argon2id derivation's memory, so slots = min(cores,
 * [api] sign_memory_mib / the KDF's memory)); at most `queue` more wait
 * for a slot, in arrival order (tickets: head is the next to run, tail
 * the next ticket handed out); a call that finds the queue full is
 * refused at once (the handler answers 429 with Retry-After: the gate's
 * estimate of when a slot frees, from a moving average of how long a call
 * holds one). So memory is bounded by slots, and the latency of an
 * admitted call by (queue / slots + 1) x the work's duration; nothing
 * grows with load.
 *
 * The HTTP server runs handlers on its own threads and a waiting call
 * blocks its thread; `sertel serve` adds slots + queue threads for each
 * gate to the threads that serve everything else (api_threads_needed), so
 * OCSP, TSA and CRL answers never wait for a signing. Uploads never wait
 * at a gate: the server reads a body into spool files as it arrives and
 * calls the handler only once it is complete, so a slow or stalled upload
 * holds no thread and no slot.
 *
 * Per-client rate limits: a token bucket per API client id ([api]
 * client_rate_per_minute, a burst of as many), in a fixed table of
 * RATE_SLOTS entries (open addressing, the least recently used of a probe
 * window is reused): bounded memory whatever the number of clients.
 */
#include <stdio.h>
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

void api_gate_init(api_gate *g, unsigned slots, unsigned queue, int64_t guess_ms)
{
    memset(g, 0, sizeof(*g));
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->cond, NULL);
    g->slots = slots > 0 ? slots : 1;
    g->queue = queue;
    g->avg_ms = guess_ms > 0 ? guess_ms : 1000;
}

void api_gate_destroy(api_gate *g)
{
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->cond);
}

/* Seconds until a slot is likely free for someone arriving now (at least 1). */
static int64_t retry_estimate(const api_gate *g)
{
    int64_t ms = g->avg_ms * (int64_t)(g->waiting / g->slots + 1);

    return ms / 1000 + 1;
}

int api_gate_enter(api_gate *g, int64_t *retry_after, int64_t *t0)
{
    uint64_t ticket;

    *retry_after = 0;
    pthread_mutex_lock(&g->lock);
    if (g->running < g->slots && g->waiting == 0) {
        g->running++;
        g->admitted++;
        pthread_mutex_unlock(&g->lock);
        *t0 = now_ms();
        return SERTEL_OK;
    }
    if (g->waiting >= g->queue) {
        g->refused++;
        *retry_after = retry_estimate(g);
        pthread_mutex_unlock(&g->lock);
        return SERTEL_ERR_BUSY;
    }
    ticket = g->tail++;
    g->waiting++;
    if (g->waiting > g->max_waiting)
        g->max_waiting = g->waiting;
    while (!(ticket == g->head && g->running < g->slots))
        pthread_cond_wait(&g->cond, &g->lock);
    g->head++;
    g->waiting--;
    g->running++;
    g->admitted++;
    pthread_cond_broadcast(&g->cond); /* the next ticket may go too */
    pthread_mutex_unlock(&g->lock);
    *t0 = now_ms();
    return SERTEL_OK;
}

void api_gate_leave(api_gate *g, int64_t t0)
{
    int64_t d = now_ms() - t0;

    pthread_mutex_lock(&g->lock);
    g->running--;
    g->avg_ms += (d - g->avg_ms) / (1 << EWMA_SHIFT);
    if (g->avg_ms < 1)
        g->avg_ms = 1;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
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
    int64_t now = now_ms(), per_ms;
    api_rate_slot *e = NULL, *lru = NULL;
    size_t i;
    int rc = SERTEL_OK;

    *retry_after = 0;
    if (a->rate_per_min == 0)
        return SERTEL_OK;
    per_ms = 60000 / a->rate_per_min; /* one token every per_ms */
    if (per_ms < 1)
        per_ms = 1;
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
        e->tokens_ms = (int64_t)a->rate_per_min * per_ms; /* a full bucket */
        e->last_ms = now;
    }
    /* tokens_ms: the bucket's content in milliseconds of refill; one request costs per_ms. */
    e->tokens_ms += now - e->last_ms;
    if (e->tokens_ms > (int64_t)a->rate_per_min * per_ms)
        e->tokens_ms = (int64_t)a->rate_per_min * per_ms;
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
